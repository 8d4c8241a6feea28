import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A throw-away certificate authority and a server certificate it signed, made with the machine's `openssl`
 * for one test run: slapd serves LDAPS and StartTLS with it, and tests trust it by its PEM (or, to see a refusal,
 * trust another one).
 */
export interface TestCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export async function makeTestCertificates(options: { commonName?: string; altNames?: string[] } = {}): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'lsb-test-ca-'));
  const file = (name: string) => join(dir, name);
  const commonName = options.commonName ?? '127.0.0.1';
  const altNames = options.altNames ?? ['IP:127.0.0.1', 'DNS:localhost'];
  try {
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=loginshare-bridge test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout', file('ca.key'), '-out', file('ca.pem')]);
    await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${commonName}`, '-keyout', file('server.key'), '-out', file('server.csr')]);
    await writeFile(file('server.ext'), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${altNames.join(',')}\n`);
    await run('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', file('server.ext'), '-out', file('server.pem')]);
    const [caPem, certPem, keyPem] = await Promise.all(['ca.pem', 'server.pem', 'server.key'].map((name) => readFile(file(name), 'utf8')));
    return { caPem: caPem!, certPem: certPem!, keyPem: keyPem! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The same CA as files, as an operator's PKI hands them out: the CA certificate is what `caFile` names. */
export interface TestCa {
  dir: string;
  /** PEM file of the CA certificate. */
  caFile: string;
  serverKey: string;
  serverCert: string;
  remove(): void;
}

export async function makeTestCa(): Promise<TestCa> {
  const certificates = await makeTestCertificates();
  const dir = await mkdtemp(join(tmpdir(), 'lsb-ca-'));
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, certificates.caPem);
  return {
    dir,
    caFile,
    serverKey: certificates.keyPem,
    serverCert: certificates.certPem,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
