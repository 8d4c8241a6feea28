import { z } from 'zod';
import { groupsConfigSchema } from '../../groups/groups-config.js';
import { isLoopbackHost } from '../../login/loopback-host.js';

/** A claim path: `email`, `realm_access.roles`, or a claim name that itself contains dots, in quotes. */
const claimPath = z.string().min(1);

export const emailSourceSchema = z
  .object({
    claim: claimPath,
    /** A claim that must be `true` for this email to be trusted (never link Kayako accounts on an unverified email). */
    verifiedBy: claimPath.optional(),
  })
  .strict();

export const claimMappingSchema = z
  .object({
    subject: claimPath.default('sub'),
    username: claimPath.default('preferred_username'),
    emails: z.array(emailSourceSchema).default([{ claim: 'email', verifiedBy: 'email_verified' }]),
    givenName: claimPath.default('given_name'),
    familyName: claimPath.default('family_name'),
    displayName: claimPath.default('name'),
    phone: claimPath.default('phone_number'),
    /** Claims holding group names or role names; their values are merged. */
    groups: z.array(claimPath).default(['groups']),
  })
  .strict();

export const oidcConnectorSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('oidc'),
    /** Selects the IdP's error table (see providers/). */
    dialect: z.enum(['generic', 'keycloak', 'entra', 'okta', 'auth0', 'adfs']).default('generic'),
    // Required with `endpoints` too: the ID token's `iss` is checked against it, so the error says so.
    issuer: z.url({ error: (issue) => (issue.input === undefined ? "is required, with `endpoints` too: every ID token must name this URL as its issuer (`iss`)" : undefined) }),
    /** Skip discovery: give the token endpoint and JWKS directly (userinfo optional). */
    endpoints: z
      .object({ token: z.url(), jwks: z.url(), userinfo: z.url().optional() })
      .strict()
      .optional(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    clientAuth: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']).optional(),
    /** PKCS#8 PEM for private_key_jwt. */
    privateKey: z.string().optional(),
    privateKeyId: z.string().optional(),
    privateKeyAlg: z.enum(['RS256', 'PS256', 'ES256']).default('RS256'),
    scopes: z.array(z.string()).default(['openid', 'profile', 'email']),
    /** `password`, or an extension grant such as Auth0's `http://auth0.com/oauth/grant-type/password-realm`. */
    grantType: z.string().default('password'),
    /** Extra token-request parameters (Auth0 `realm`, ADFS `resource`, …). Never a credential of the user. */
    tokenParams: z.record(z.string(), z.string()).default({}),
    /**
     * Appended one-time passwords: `secret,123456` is sent as password `secret` and the code in the token-request
     * parameter `parameter` (Keycloak's direct grant: `totp`). Absent: passwords are sent as typed.
     */
    appendedOtp: z
      .object({
        separator: z.string().min(1).max(4).default(','),
        parameter: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a form parameter name such as totp').default('totp'),
        minDigits: z.number().int().min(4).max(10).default(6),
        maxDigits: z.number().int().min(4).max(10).default(8),
      })
      .strict()
      .refine((otp) => otp.minDigits <= otp.maxDigits, { message: 'minDigits must not exceed maxDigits', path: ['minDigits'] })
      .optional(),
    /** Forward Kayako's `ipaddress` to the IdP in this header (Auth0: `auth0-forwarded-for`). */
    forwardEndUserIpHeader: z.string().optional(),
    /**
     * The one JWS algorithm an ID token may be signed with: those openid-client verifies (oauth4webapi's list).
     * Checked here so that a typo or `none` fails `check` and start-up, not every login.
     */
    idTokenAlg: z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']).default('RS256'),
    /** Also call the userinfo endpoint and merge its claims. */
    userinfo: z.boolean().default(false),
    claims: claimMappingSchema.default(claimMappingSchema.parse({})),
    /** Where groups come from beyond the claims in `claims.groups`: Microsoft Graph (Entra overage), the Okta API. */
    groups: groupsConfigSchema.default({ source: 'token' }),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    /** Allows http:// issuers and endpoints on a loopback host (127.0.0.0/8, ::1, localhost). Never in production. */
    allowInsecureHttp: z.boolean().default(false),
    /**
     * The second, explicit consent for http:// to a host that is not loopback (a lab IdP): passwords and tokens
     * then cross the network in clear text. Each host name must be listed; needs allowInsecureHttp too.
     */
    insecureHttpHosts: z.array(z.string().min(1)).default([]),
    /** A PEM file of CA certificates trusted (beside Node's roots) for this connector's upstream calls: an IdP behind a private CA. */
    caFile: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const auth = value.clientAuth ?? (value.clientSecret ? 'client_secret_basic' : 'none');
    if ((auth === 'client_secret_basic' || auth === 'client_secret_post') && !value.clientSecret) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: `clientAuth ${auth} needs clientSecret` });
    }
    if (auth === 'private_key_jwt' && !value.privateKey) {
      ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'clientAuth private_key_jwt needs privateKey (PKCS#8 PEM)' });
    }
    if (!value.scopes.includes('openid')) {
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'scopes must include "openid": the ID token is what proves who logged in' });
    }
    const http = (url: string | undefined, path: PropertyKey[]): void => {
      const refusal = url === undefined ? undefined : insecureHttpRefusal(url, value);
      if (refusal) ctx.addIssue({ code: 'custom', path, message: refusal });
    };
    http(value.issuer, ['issuer']);
    http(value.endpoints?.token, ['endpoints', 'token']);
    http(value.endpoints?.jwks, ['endpoints', 'jwks']);
    http(value.endpoints?.userinfo, ['endpoints', 'userinfo']);
    if (value.insecureHttpHosts.length > 0 && !value.allowInsecureHttp) {
      ctx.addIssue({ code: 'custom', path: ['insecureHttpHosts'], message: 'takes effect only with allowInsecureHttp: true (both are needed for http:// to a non-loopback host)' });
    }
    if (value.appendedOtp && RESERVED_GRANT_PARAMETERS.has(value.appendedOtp.parameter)) {
      ctx.addIssue({ code: 'custom', path: ['appendedOtp', 'parameter'], message: `"${value.appendedOtp.parameter}" is already a parameter of the token request: name the one-time password's own (Keycloak: totp)` });
    }
    checkGroupSources(value, ctx);
  });

const RESERVED_GRANT_PARAMETERS = new Set(['grant_type', 'username', 'password', 'scope', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type']);

const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'phone', 'address', 'offline_access']);
const GRAPH_GROUP_READ = /(^|\/)(GroupMember|Group|Directory)\.Read(Write)?\.All$/;

type OidcConfigDraft = { scopes: string[]; allowInsecureHttp: boolean; insecureHttpHosts: string[]; groups: z.output<typeof groupsConfigSchema> };

/**
 * Why an http:// URL may not be called, or undefined when it may: https://, or http:// to a loopback host with
 * allowInsecureHttp, or to a host the operator also listed in insecureHttpHosts.
 */
export function insecureHttpRefusal(url: string, value: Pick<OidcConfigDraft, 'allowInsecureHttp' | 'insecureHttpHosts'>): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:') return undefined;
  if (!value.allowInsecureHttp) return `${url} is plain http: use https://, or set allowInsecureHttp: true (loopback hosts only)`;
  if (isLoopbackHost(parsed.hostname)) return undefined;
  if (value.insecureHttpHosts.some((h) => h.toLowerCase() === parsed.hostname.toLowerCase())) return undefined;
  return (
    `${url} is plain http to ${parsed.hostname}, which is not a loopback host: passwords would cross the network unencrypted. ` +
    `allowInsecureHttp covers loopback only; to accept this (a lab), also list "${parsed.hostname}" under insecureHttpHosts`
  );
}

function checkGroupSources(value: OidcConfigDraft, ctx: z.RefinementCtx): void {
  const groups = value.groups;
  if (groups.source === 'graph') {
    const graphOrigin = new URL(groups.graph.baseUrl).origin;
    // Graph is called with the login's own access token, so that token must be for Graph: every non-OpenID
    // scope must be a Graph permission (a token is for one resource only).
    const resourceScopes = value.scopes.filter((s) => !OIDC_SCOPES.has(s));
    const notGraph = resourceScopes.filter((s) => s.includes('://') && !s.startsWith(`${graphOrigin}/`));
    if (resourceScopes.length === 0 || notGraph.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['scopes'],
        message:
          `groups.source graph calls Graph with the login's access token: add a Graph scope such as ${graphOrigin}/User.Read` +
          (notGraph.length > 0 ? ` and remove scopes of other resources (${notGraph.join(', ')})` : ''),
      });
    }
    if (groups.graph.groupNames === 'displayName' && !value.scopes.some((s) => GRAPH_GROUP_READ.test(s))) {
      ctx.addIssue({
        code: 'custom',
        path: ['scopes'],
        message: `groups.graph.groupNames displayName needs a scope that may read groups: add ${graphOrigin}/GroupMember.Read.All (Graph leaves names out otherwise)`,
      });
    }
    const refusal = insecureHttpRefusal(groups.graph.baseUrl, value);
    if (refusal) ctx.addIssue({ code: 'custom', path: ['groups', 'graph', 'baseUrl'], message: refusal });
  }
  if (groups.source === 'okta' && groups.okta.orgUrl) {
    const refusal = insecureHttpRefusal(groups.okta.orgUrl, value);
    if (refusal) ctx.addIssue({ code: 'custom', path: ['groups', 'okta', 'orgUrl'], message: refusal });
  }
}

export type OidcConnectorConfig = z.output<typeof oidcConnectorSchema>;
export type ClaimMapping = z.output<typeof claimMappingSchema>;
