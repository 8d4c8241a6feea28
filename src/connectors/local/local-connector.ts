import { z } from 'zod';
import type { Identity, LoginAttempt, LoginOutcome } from '../../login/vocabulary.js';
import type { PasswordConnector } from '../../login/password-connector.js';
import { parsePasswordHash, verifyPassword } from './password-hash.js';

/**
 * Accounts kept in the config file: the embedded demo and the break-glass path (Kayako has no local fallback
 * for LoginShare logins, so when the IdP is down these are the only way in).
 */
export const localAccountSchema = z
  .object({
    username: z.string().min(1),
    passwordHash: z.string().superRefine((value, ctx) => {
      try {
        parsePasswordHash(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
    email: z.email().optional(),
    emails: z.array(z.email()).optional(),
    fullName: z.string().optional(),
    givenName: z.string().optional(),
    familyName: z.string().optional(),
    phone: z.string().optional(),
    groups: z.array(z.string()).default([]),
    claims: z.record(z.string(), z.unknown()).default({}),
    disabled: z.boolean().default(false),
  })
  .strict();

export const localConnectorSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('local'),
    users: z.array(localAccountSchema).default([]),
  })
  .strict();

export type LocalConnectorConfig = z.output<typeof localConnectorSchema>;
type LocalAccount = z.output<typeof localAccountSchema>;

export function createLocalConnector(config: LocalConnectorConfig): PasswordConnector {
  // Usernames are matched case-insensitively, as directories do.
  const accounts = new Map<string, LocalAccount>(config.users.map((u) => [u.username.toLowerCase(), u]));
  return {
    id: config.id,
    type: 'local',
    hasAccount: (username) => accounts.has(username.toLowerCase()),
    async login(attempt: LoginAttempt): Promise<LoginOutcome> {
      const account = accounts.get(attempt.username.toLowerCase());
      if (!account) return { kind: 'unknown_user' };
      if (!(await verifyPassword(attempt.password, account.passwordHash))) return { kind: 'invalid_credentials' };
      if (account.disabled) return { kind: 'disabled', detail: 'local account disabled in config' };
      return { kind: 'ok', identity: toIdentity(config.id, account) };
    },
  };
}

function toIdentity(connectorId: string, account: LocalAccount): Identity {
  // `email` is the primary; `emails` are aliases (the first of them is the primary when `email` is not given).
  const [primary, ...aliases] = [account.email, ...(account.emails ?? [])].filter((e): e is string => Boolean(e));
  const identity: Identity = {
    subject: account.username,
    username: account.username,
    emails: primary ? [primary] : [],
    ...(aliases.length > 0 ? { aliasEmails: aliases } : {}),
    groups: account.groups,
    claims: { ...account.claims, username: account.username },
    connectorId,
  };
  if (account.fullName) identity.displayName = account.fullName;
  if (account.givenName) identity.givenName = account.givenName;
  if (account.familyName) identity.familyName = account.familyName;
  if (account.phone) identity.phone = account.phone;
  return identity;
}
