import { z } from 'zod';
import { identityLogConfigSchema } from '../identity-log/identity-log-config.js';
import { parseCidr } from '../security/cidr.js';
import { signInPageSchema } from '../signin/signin-config.js';

const cidr = z.string().refine((value) => parseCidr(value) !== undefined, { message: 'not an IP address or CIDR (e.g. 10.0.0.0/8)' });

/** A text Kayako shows verbatim on its login page. */
const messageText = z.string().trim().min(1, 'must not be empty').max(1000).optional();

const port = z.coerce.number().int().min(0).max(65535);

/** Kayako interface names seen in practice (protocol note); the list is open, so any name can be allowed. */
export const DEFAULT_STAFF_INTERFACES = ['staff', 'winapp', 'mobile', 'staffapi', 'api', 'intranet', 'pda'];

export const realmSchema = z
  .object({
    /** Appears in the URL: /loginshare/<id>/user and /loginshare/<id>/staff. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _ only (it is part of a URL)'),
    /** What Kayako sends as `?key=` (or as the password of user:pass@ in the URL). */
    secret: z.string().min(16, 'at least 16 characters (generate one: openssl rand -hex 32)'),
    /** Optional allowlist of caller addresses (Kayako's egress), after trusted-proxy handling. */
    allowFrom: z.array(cidr).default([]),
    /** Rules file, relative to the config file. */
    rules: z.string().min(1),
    /** What Kayako shows for each outcome, in the realm's language (docs/messages.md); English by default. */
    messages: z
      .object({
        invalidCredentials: messageText.describe("Must equal the Kayako instance's own phrase for a bad login, or its lockout stops counting."),
        mfaRequired: messageText,
        locked: messageText,
        disabled: messageText,
        passwordExpired: messageText,
        rateLimited: messageText,
        deniedByDefault: messageText.describe('Unmatched logins the rules deny, when the rules file sets no unmatchedMessage.'),
        unavailable: messageText,
        staffUsernameForm: messageText.describe('{username} is replaced by the username form the person must type.'),
        emailNotAllowed: messageText,
      })
      .strict()
      .optional(),
    audiences: z
      .object({ user: z.boolean().default(true), staff: z.boolean().default(true) })
      .strict()
      .default({ user: true, staff: true }),
    staff: z
      .object({
        interfaces: z.array(z.string().regex(/^[a-z0-9_-]+$/, 'lower-case Kayako interface name')).default(DEFAULT_STAFF_INTERFACES),
        /** The Kayako Admin CP: refused unless explicitly allowed (the protocol note's warning). */
        allowAdmin: z.boolean().default(false),
        /** One Kayako staff account per person: the only username form accepted (docs/account-linking.md). */
        usernameForm: z.enum(['as-typed', 'username', 'local-part', 'upn']).default('as-typed'),
      })
      .strict()
      .default({ interfaces: DEFAULT_STAFF_INTERFACES, allowAdmin: false, usernameForm: 'as-typed' }),
    /** Which emails Kayako may link accounts on (docs/account-linking.md). */
    linking: z
      .object({
        emails: z.enum(['primary', 'all']).default('primary'),
        emailDomains: z
          .array(z.string().toLowerCase().regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a domain such as example.com, or *.example.com for its subdomains'))
          .min(1, 'list at least one domain, or leave emailDomains out to allow any')
          .optional(),
      })
      .strict()
      .default({ emails: 'primary' }),
    connectors: z
      .array(
        z
          .object({
            use: z.string().min(1),
            /** Usernames ending in @<domain> go here; no domains = everyone not routed elsewhere. */
            domains: z.array(z.string().regex(/^[a-z0-9.-]+$/i, 'a domain such as contoso.com')).optional(),
            /**
             * Break-glass: asked only when the connectors before it could not reach their IdP (down, hung, circuit
             * open) — never after the IdP answered, "wrong password" included.
             */
            fallback: z.boolean().default(false),
          })
          .strict(),
      )
      .min(1, 'a realm needs at least one connector'),
    /** The realm's sign-in page for one-time Kayako sign-in codes (docs/signin-codes.md). */
    signin: signInPageSchema.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: port.default(8080),
        bodyLimitBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
        /** Whole-login deadline; Kayako itself gives up after 100 s. */
        loginTimeoutMs: z.number().int().min(500).max(90_000).default(20_000),
        trustedProxies: z.array(cidr).default([]),
        /** How long an idle keep-alive connection stays open; longer than the idle timeout of a proxy in front. */
        keepAliveTimeoutMs: z.number().int().min(1_000).max(600_000).default(5_000),
        /** How long a client has to send a request's headers. */
        headersTimeoutMs: z.number().int().min(1_000).max(600_000).default(60_000),
      })
      .strict()
      .default({ host: '0.0.0.0', port: 8080, bodyLimitBytes: 16_384, loginTimeoutMs: 20_000, trustedProxies: [], keepAliveTimeoutMs: 5_000, headersTimeoutMs: 60_000 }),
    ops: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: port.default(9090),
        enabled: z.boolean().default(true),
        /** true: an IdP whose discovery fails or an unreachable Redis makes /readyz 503 instead of "degraded". */
        strictReadiness: z.boolean().default(false),
        /** Readiness checks run in the background this often; /readyz answers from their last results at once. */
        readinessIntervalMs: z.number().int().min(100).max(60_000).default(2_000),
        /** Bound on one readiness check (an IdP that never answers counts as failed after this). */
        readinessCheckTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
        /** Bearer token of the operators' endpoints (/admin/lockouts, /admin/unlock, /admin/realms/…); absent = those endpoints are off. */
        adminToken: z.string().min(16, 'at least 16 characters (generate one: openssl rand -hex 32)').optional(),
      })
      .strict()
      .default({ host: '0.0.0.0', port: 9090, enabled: true, strictReadiness: false, readinessIntervalMs: 2_000, readinessCheckTimeoutMs: 5_000 }),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** Where audit lines go: stdout (with the rest), stderr, or a file path. */
        audit: z.string().default('stdout'),
      })
      .strict()
      .default({ level: 'info', audit: 'stdout' }),
    cache: z
      .object({
        redis: z
          .object({
            url: z.string().regex(/^rediss?:\/\//, 'redis:// or rediss://'),
            password: z.string().optional(),
            keyPrefix: z.string().default('lsb:'),
            /** Sentinel-managed Redis: the URL gives credentials, db and TLS; the master comes from the sentinels. */
            sentinels: z
              .object({
                hosts: z.array(z.object({ host: z.string().min(1), port: z.coerce.number().int().min(1).max(65535) }).strict()).min(1),
                masterName: z.string().min(1),
                password: z.string().optional(),
              })
              .strict()
              .optional(),
            /** Redis Cluster: seed nodes as redis://host:port; the URL gives credentials and TLS. */
            cluster: z.object({ nodes: z.array(z.string().regex(/^rediss?:\/\//, 'redis://host:port')).min(1) }).strict().optional(),
            connectTimeoutMs: z.number().int().min(100).max(30_000).default(2_000),
            /** A Redis that hangs must not hold a login. */
            commandTimeoutMs: z.number().int().min(50).max(10_000).default(1_000),
          })
          .refine((r) => !(r.sentinels && r.cluster), { message: 'use either sentinels or cluster, not both' })
          .strict()
          .optional(),
        groupsTtlSeconds: z.number().int().min(0).max(86_400).default(300),
        maxEntries: z.number().int().min(100).default(50_000),
      })
      .strict()
      .default({ groupsTtlSeconds: 300, maxEntries: 50_000 }),
    security: z
      .object({
        lockout: z
          .object({
            /** Failed logins for one username (per realm) within the window before it is locked. */
            maxFailures: z.number().int().min(1).default(5),
            windowSeconds: z.number().int().min(1).default(900),
            lockSeconds: z.number().int().min(1).default(900),
          })
          .strict()
          .default({ maxFailures: 5, windowSeconds: 900, lockSeconds: 900 }),
        rateLimit: z
          .object({
            /** Login attempts per end-user address (Kayako's `ipaddress`) per minute. */
            perIpPerMinute: z.number().int().min(1).default(60),
            /** Login attempts per username per minute, whatever the address. */
            perUsernamePerMinute: z.number().int().min(1).default(20),
          })
          .strict()
          .default({ perIpPerMinute: 60, perUsernamePerMinute: 20 }),
        /** After this many consecutive outages of one IdP, fail fast for openSeconds instead of waiting on it. */
        circuitBreaker: z
          .object({
            failureThreshold: z.number().int().min(1).default(5),
            openSeconds: z.number().int().min(1).default(30),
            /** While open, the IdP is probed this often (each probe bounded by the same time); an answer closes it. */
            probeIntervalMs: z.number().int().min(100).max(60_000).default(1_000),
          })
          .strict()
          .default({ failureThreshold: 5, openSeconds: 30, probeIntervalMs: 1_000 }),
      })
      .strict()
      .default({
        lockout: { maxFailures: 5, windowSeconds: 900, lockSeconds: 900 },
        rateLimit: { perIpPerMinute: 60, perUsernamePerMinute: 20 },
        circuitBreaker: { failureThreshold: 5, openSeconds: 30, probeIntervalMs: 1_000 },
      }),
    connectors: z
      .array(z.object({ id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _'), type: z.string() }).passthrough())
      .min(1, 'configure at least one connector'),
    realms: z.array(realmSchema).min(1, 'configure at least one realm'),
    /** Opt-in log of who signed in, for previewing a rules change (docs/impact-preview.md). */
    identityLog: identityLogConfigSchema,
  })
  .strict();

export type BridgeConfigFile = z.output<typeof configSchema>;
export type RealmConfig = z.output<typeof realmSchema>;
