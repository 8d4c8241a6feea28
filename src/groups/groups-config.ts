import { z } from 'zod';

/**
 * The `groups` section of an OIDC connector: where a login's groups come from when the token alone may not
 * carry them all. Secrets (`token`, `privateKey`, `clientSecret`) belong in `${ENV}` references.
 */
const timeoutMs = z.number().int().min(100).max(60_000).default(10_000);

export const graphGroupsSchema = z
  .object({
    /** Microsoft Graph root incl. version; sovereign clouds: https://graph.microsoft.us/v1.0, https://microsoftgraph.chinacloudapi.cn/v1.0 … */
    baseUrl: z.url().default('https://graph.microsoft.com/v1.0'),
    /**
     * `id`: group object ids, as in the token's groups claim; Graph is called only on overage (200+ groups).
     * `displayName`: names, as people write them in rules; Graph is called on every login (then cached),
     * since the token carries ids only. Needs the GroupMember.Read.All permission.
     */
    groupNames: z.enum(['id', 'displayName']).default('id'),
    /** The token claim holding group ids (replaced by Graph's answer). */
    claim: z.string().min(1).default('groups'),
    timeoutMs,
    maxPages: z.number().int().min(1).max(1_000).default(50),
  })
  .strict();

const oktaAuthSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('ssws'),
      /** An Okta API token, e.g. ${OKTA_API_TOKEN}. */
      token: z.string().min(1),
    })
    .strict(),
  z
    .object({
      type: z.literal('oauth'),
      /** An API service app with the client-credentials grant and the okta.users.read scope granted. */
      clientId: z.string().min(1),
      /** PKCS#8 PEM (private_key_jwt); its public key is registered on the service app. */
      privateKey: z.string().min(1).optional(),
      privateKeyId: z.string().min(1).optional(),
      clientSecret: z.string().min(1).optional(),
      scopes: z.array(z.string().min(1)).min(1).default(['okta.users.read']),
    })
    .strict()
    .refine((auth) => (auth.privateKey === undefined) !== (auth.clientSecret === undefined), {
      message: 'give privateKey (private_key_jwt, what Okta recommends) or clientSecret, not both',
      path: ['privateKey'],
    }),
]);

export const oktaGroupsSchema = z
  .object({
    /** https://{yourOktaDomain}; default: the issuer's origin (right for the org and custom authorization servers). */
    orgUrl: z.url().optional(),
    auth: oktaAuthSchema,
    /** `name` (profile.name, what the groups claim carries) or Okta group ids. */
    groupNames: z.enum(['name', 'id']).default('name'),
    /** The token claim holding group names (replaced by the API's answer when it is used). */
    claim: z.string().min(1).default('groups'),
    /** A claim with this many groups or more may have been cut short (Okta caps the groups claim at 100). */
    claimLimit: z.number().int().min(1).default(100),
    timeoutMs,
    pageSize: z.number().int().min(1).max(10_000).default(200),
    maxPages: z.number().int().min(1).max(1_000).default(50),
  })
  .strict();

export const groupsConfigSchema = z.discriminatedUnion('source', [
  /** The token / userinfo claims named in `claims.groups` (Keycloak, Auth0, ADFS, Okta ≤ 100 groups, …). */
  z.object({ source: z.literal('token') }).strict(),
  /** Entra ID: the groups claim, and Microsoft Graph when it is incomplete or names are wanted. */
  z.object({ source: z.literal('graph'), graph: graphGroupsSchema.default(graphGroupsSchema.parse({})) }).strict(),
  /** Okta: the groups claim, and the Okta groups API when it is missing or may be truncated. */
  z.object({ source: z.literal('okta'), okta: oktaGroupsSchema }).strict(),
]);

export type GroupsConfig = z.output<typeof groupsConfigSchema>;
export type GraphGroupsConfig = z.output<typeof graphGroupsSchema>;
export type OktaGroupsConfig = z.output<typeof oktaGroupsSchema>;
