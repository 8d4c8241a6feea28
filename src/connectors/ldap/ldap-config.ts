import { X509Certificate } from 'node:crypto';
import { FilterParser } from 'ldapts';
import { z } from 'zod';
import { isLoopbackHost } from '../../login/loopback-host.js';

/**
 * The `type: ldap` connector section. Defaults follow the directory named in `directory` (Active Directory,
 * OpenLDAP, FreeIPA / 389 DS, or generic), so a preset stays short; every default can be overridden.
 */
const dnString = z.string().min(3).regex(/=/, 'a DN such as ou=people,dc=example,dc=com');
const timeoutMs = (fallback: number) => z.number().int().min(100).max(60_000).default(fallback);

/** A filter template: `{username}` (and, for group searches, `{dn}` / `{uid}`) are put in escaped (RFC 4515). */
function filterTemplate(placeholders: readonly string[]) {
  return z.string().superRefine((value, ctx) => {
    const names = [...value.matchAll(/\{([a-z]+)\}/gi)].map((m) => m[1]!);
    const unknown = names.filter((name) => !placeholders.includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder {${unknown[0]}} (known: ${placeholders.map((p) => `{${p}}`).join(', ')})` });
      return;
    }
    if (names.length === 0) {
      ctx.addIssue({ code: 'custom', message: `the filter must contain ${placeholders.map((p) => `{${p}}`).join(' or ')}` });
      return;
    }
    try {
      FilterParser.parseString(value.replace(/\{[a-z]+\}/gi, 'x'));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not an LDAP filter (RFC 4515): ${(err as Error).message}` });
    }
  });
}

const tlsSchema = z
  .object({
    /** ldap:// then the StartTLS extended operation before anything else is sent. */
    startTls: z.boolean().default(false),
    /** PEM bundle of the CA(s) that signed the servers' certificates; default: Node's public CAs. */
    ca: z
      .string()
      .superRefine((value, ctx) => {
        const problem = pemBundleProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /** The name the certificate must carry, when the URLs use another (an IP address, a load balancer). */
    servername: z.string().min(1).optional(),
    /** Off only to diagnose; never in production. */
    verifyCertificate: z.boolean().default(true),
  })
  .strict();

const attributesSchema = z
  .object({
    /** The entry's stable id; the first present wins, the DN is the last resort. */
    subject: z.array(z.string().min(1)).min(1).optional(),
    username: z.string().min(1).optional(),
    /** Attributes holding the person's email; the first value of the first present attribute is the primary. */
    email: z.array(z.string().min(1)).min(1).optional(),
    /**
     * AD's proxyAddresses (`SMTP:primary`, `smtp:alias`): off by default, since Kayako links every address it is
     * sent to the account, and proxyAddresses often holds old and shared ones.
     */
    proxyAddresses: z.boolean().default(false),
    givenName: z.string().min(1).default('givenName'),
    familyName: z.string().min(1).default('sn'),
    displayName: z.string().min(1).default('displayName'),
    /** The first present wins. */
    phone: z.array(z.string().min(1)).default(['telephoneNumber', 'mobile']),
    title: z.string().min(1).default('title'),
    /** Further attributes to read into `claims` for rules and templates. */
    extra: z.array(z.string().min(1)).default([]),
  })
  .strict();

const groupsSchema = z
  .object({
    /** `memberOf` on the user's entry, a `search` for groups naming the user, or `none`. */
    source: z.enum(['memberOf', 'search', 'none']).optional(),
    /** What the rules see: the group's `cn` (default) or its full DN. */
    names: z.enum(['cn', 'dn']).default('cn'),
    /** Follow groups inside groups: AD's in-chain matching rule, or a bounded breadth-first search elsewhere. */
    nested: z.boolean().default(true),
    /** Bound on nesting levels followed (breadth-first search only). */
    maxDepth: z.number().int().min(1).max(50).default(10),
    /** A person in more groups than this is refused rather than mapped on a partial list. */
    maxGroups: z.number().int().min(1).max(100_000).default(1_000),
    /** Where groups are searched (group search, AD in-chain): default the `dc=` part of the user's DN. */
    base: dnString.optional(),
    filter: filterTemplate(['dn', 'uid', 'username']).optional(),
    /** The attribute of a group that names its member groups' DNs (nested search). */
    memberAttribute: z.string().min(1).optional(),
  })
  .strict();

export const ldapConnectorSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('ldap'),
    /** Chooses defaults (attributes, filters, nested-group method) and the bind-error table. */
    directory: z.enum(['active-directory', 'openldap', 'freeipa', 'generic']).default('generic'),
    /** Tried in order; a server that does not answer is skipped for the next. */
    urls: z
      .array(z.string().regex(/^ldaps?:\/\/[^/?#\s]+\/?$/i, 'ldap://host[:port] or ldaps://host[:port]'))
      .min(1, 'give at least one server URL'),
    tls: tlsSchema.default(tlsSchema.parse({})),
    /**
     * PEM file of the CA(s) that signed the servers' certificates, trusted beside Node's roots; relative to the
     * config file. The file form of `tls.ca`, as the other connectors take it.
     */
    caFile: z.string().min(1).optional(),
    /** Plain ldap:// (no StartTLS) to a host other than loopback: passwords would cross the network in clear. */
    allowPlainLdap: z.boolean().default(false),
    /**
     * `search`: bind as the service account, find the entry with `userSearch`, then bind as it with the typed
     * password. `direct`: bind at once with `bindTemplate` (a DN or `{username}@corp.example`).
     */
    bind: z.enum(['search', 'direct']).default('search'),
    bindTemplate: z.string().regex(/\{username\}/, 'must contain {username}').optional(),
    serviceAccount: z
      .object({
        dn: z.string().min(1),
        /** Only through an environment variable reference, e.g. ${LDAP_BIND_PASSWORD}. */
        password: z.string().min(1),
      })
      .strict()
      .optional(),
    userSearch: z
      .object({
        base: dnString,
        filter: filterTemplate(['username']).optional(),
        scope: z.enum(['sub', 'one']).default('sub'),
      })
      .strict()
      .optional(),
    attributes: attributesSchema.default(attributesSchema.parse({})),
    groups: groupsSchema.default(groupsSchema.parse({})),
    timeouts: z
      .object({
        /** TCP connect plus TLS handshake, per server. */
        connectMs: timeoutMs(5_000),
        /** Each bind and search. */
        operationMs: timeoutMs(5_000),
      })
      .strict()
      .default({ connectMs: 5_000, operationMs: 5_000 }),
    /** Bound service-account connections kept open for searches (never used for a user's bind). */
    pool: z
      .object({
        size: z.number().int().min(1).max(32).default(4),
        /** A connection idle this long is closed (servers and firewalls drop idle ones silently). */
        idleMs: z.number().int().min(1_000).max(3_600_000).default(60_000),
      })
      .strict()
      .default({ size: 4, idleMs: 60_000 }),
  })
  .strict()
  .superRefine((value, ctx) => {
    for (const [index, url] of value.urls.entries()) {
      const parsed = new URL(url);
      const plain = parsed.protocol === 'ldap:' && !value.tls.startTls;
      if (plain && !value.allowPlainLdap && !isLoopbackHost(parsed.hostname)) {
        ctx.addIssue({
          code: 'custom',
          path: ['urls', index],
          message: 'plain ldap:// would send passwords in clear: use ldaps://, or tls.startTls: true, or set allowPlainLdap: true if the network is trusted',
        });
      }
    }
    const tlsUsed = value.tls.startTls || value.urls.some((url) => url.toLowerCase().startsWith('ldaps:'));
    if (!tlsUsed && (value.tls.ca !== undefined || value.tls.servername !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls settings have no effect on plain ldap:// URLs: use ldaps:// or tls.startTls: true' });
    }
    if (!tlsUsed && value.caFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['caFile'], message: 'a CA has no effect on plain ldap:// URLs: use ldaps:// or tls.startTls: true' });
    }
    if (value.caFile !== undefined && value.tls.ca !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['caFile'], message: 'give the CA once: inline as tls.ca or as a file in caFile, not both' });
    }
    if (value.tls.startTls && value.urls.some((url) => url.toLowerCase().startsWith('ldaps:'))) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'startTls'], message: 'StartTLS is for ldap:// URLs; ldaps:// is TLS already' });
    }
    if (value.bind === 'direct' && !value.bindTemplate) {
      ctx.addIssue({ code: 'custom', path: ['bindTemplate'], message: 'bind: direct needs bindTemplate, e.g. uid={username},ou=people,dc=example,dc=com or {username}@corp.example' });
    }
    if (value.bind === 'search') {
      if (!value.serviceAccount) {
        ctx.addIssue({ code: 'custom', path: ['serviceAccount'], message: 'bind: search needs serviceAccount { dn, password: ${ENV_VAR} } to find the user with' });
      }
      if (!value.userSearch) {
        ctx.addIssue({ code: 'custom', path: ['userSearch'], message: 'bind: search needs userSearch { base, filter }' });
      }
    }
    if (value.bind === 'direct' && value.bindTemplate && !isDnTemplate(value.bindTemplate) && !value.userSearch) {
      ctx.addIssue({
        code: 'custom',
        path: ['userSearch'],
        message: 'a bindTemplate that is not a DN (such as {username}@corp.example) needs userSearch { base, filter } to read the entry after the bind',
      });
    }
  });

export type LdapConnectorInput = z.input<typeof ldapConnectorSchema>;
export type LdapConnectorConfig = z.output<typeof ldapConnectorSchema>;

/** `attr={username},…`: the username becomes an RDN value and is escaped as RFC 4514 says. */
export function isDnTemplate(template: string): boolean {
  return /=\s*\{username\}/.test(template);
}

/** Paths in the section whose value must come from `${ENV}` (checked against the file as written). */
export const LDAP_ENV_ONLY_FIELDS: ReadonlyArray<readonly string[]> = [['serviceAccount', 'password']];

/** Why a CA bundle cannot be used, or undefined: every certificate in it must parse. */
function pemBundleProblem(value: string): string | undefined {
  const blocks = value.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return 'a PEM bundle of CA certificates (-----BEGIN CERTIFICATE----- …)';
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `certificate ${index + 1} of the bundle does not parse: ${(err as Error).message}`;
    }
  }
  return undefined;
}
