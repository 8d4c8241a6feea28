import { createServer, type Server, type Socket } from 'node:net';
import { BerReader, BerWriter } from 'ldapts';

/**
 * A stand-in for an Active Directory domain controller that does one thing: answer simple binds the way AD does
 * (RFC 4511 BindResponse) — success for the right password, otherwise result 49 with AD's diagnostic message,
 * `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data <sub-code>, v4563`, whose text is
 * as Microsoft documents it. AD itself cannot run here; this fake is faithful to its wire answer only for binds.
 */
export interface FakeAdAccount {
  password: string;
  /** The `data` sub-code AD gives for this account (52e for a wrong password is implied). */
  refusal?: string;
}

export interface FakeActiveDirectory {
  url: string;
  binds(): string[];
  close(): Promise<void>;
}

export const AD_DIAGNOSTIC = (subCode: string) => `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${subCode}, v4563`;

export async function startFakeActiveDirectory(accounts: Record<string, FakeAdAccount>): Promise<FakeActiveDirectory> {
  const binds: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const message = takeMessage(pending);
        if (!message) return;
        pending = pending.subarray(message.size);
        if (message.op === 0x60) {
          binds.push(message.name);
          const account = accounts[message.name];
          const ok = account !== undefined && account.refusal === undefined && account.password === message.password;
          const subCode = account === undefined ? '52e' : account.password !== message.password ? (account.refusal === '775' ? '775' : '52e') : account.refusal;
          socket.write(bindResponse(message.id, ok ? 0 : 49, ok ? '' : AD_DIAGNOSTIC(subCode ?? '52e')));
        } else if (message.op === 0x42) {
          socket.end();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ldap://127.0.0.1:${port}`,
    binds: () => [...binds],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function takeMessage(buffer: Buffer): { size: number; id: number; op: number; name: string; password: string } | undefined {
  if (buffer.length < 2) return undefined;
  const reader = new BerReader(buffer);
  // readSequence returns the tag and leaves the length in `reader.length`.
  if (reader.readSequence() === null) return undefined;
  const size = reader.offset + reader.length;
  if (size > buffer.length) return undefined;
  const id = reader.readInt() ?? 0;
  const op = reader.readSequence() ?? 0;
  let name = '';
  let password = '';
  if (op === 0x60) {
    reader.readInt(); // version
    name = reader.readString() ?? '';
    password = reader.readString(0x80) ?? '';
  }
  return { size, id, op, name, password };
}

function bindResponse(id: number, resultCode: number, diagnostic: string): Buffer {
  const writer = new BerWriter();
  writer.startSequence();
  writer.writeInt(id);
  writer.startSequence(0x61);
  writer.writeEnumeration(resultCode);
  writer.writeString('');
  writer.writeString(diagnostic);
  writer.endSequence();
  writer.endSequence();
  return writer.buffer;
}
