import { z } from 'zod';
import { SIGNIN_TEXT_KEYS } from './signin-text.js';

/**
 * A realm's sign-in page (`/signin/<realm>`): people whose company requires MFA sign in there in the browser
 * and get a one-time code to type into Kayako as the password.
 */
const oidcMethodSchema = z
  .object({
    type: z.literal('oidc'),
    /** An `oidc` connector of this config: its issuer, client, claims mapping and group source are used. */
    connector: z.string().min(1),
    /** A separate client for the browser flow (one with the authorization-code flow and this realm's redirect URI). */
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
  })
  .strict();

/** One entry per kind of browser sign-in; SAML Web SSO joins this union. */
export const browserSignInMethodSchema = z.discriminatedUnion('type', [oidcMethodSchema]);

const loopbackHttp = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/;

export const signInPageSchema = z
  .object({
    /**
     * The address people reach the bridge at (`https://bridge.example.com`); the IdP's redirect URI is
     * `<publicUrl>/signin/<realm>/callback`. https:// (http:// only on loopback, for trying it out).
     */
    publicUrl: z
      .url()
      .refine((url) => url.startsWith('https://') || loopbackHttp.test(url), { message: 'must be https:// (http:// only for 127.0.0.1 or localhost)' })
      .transform((url) => url.replace(/\/+$/, '')),
    /** Shown as the page's heading: the company or helpdesk name. */
    displayName: z.string().min(1).max(120),
    method: browserSignInMethodSchema,
    /** How long a code is good for (it is also good only once). */
    codeLifetimeSeconds: z.number().int().min(1).max(3_600).default(300),
    /** How long a person has at the IdP before the sign-in must be started again. */
    stateLifetimeSeconds: z.number().int().min(1).max(3_600).default(600),
    /** Where to type the code: the Kayako help center and staff login, linked from the page. */
    helpdeskUrl: z.url().optional(),
    staffUrl: z.url().optional(),
    /**
     * App passwords for the Kayako desktop and mobile apps, made, listed and revoked on the page after a staff
     * sign-in. Needs `cache.redis` (they must survive restarts and be known to every replica).
     */
    appPasswords: z
      .object({
        lifetimeDays: z.number().int().min(1).max(730).default(90),
        interfaces: z.array(z.string().regex(/^[a-z0-9_-]+$/, 'lower-case Kayako interface name')).min(1).default(['winapp', 'mobile', 'staffapi']),
        maxPerPerson: z.number().int().min(1).max(50).default(10),
      })
      .strict()
      .optional(),
    /** The page's language (the `lang` attribute); the words are `text`. */
    language: z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as en or de-CH').default('en'),
    /** Replaces any of the page's texts (for another language or other words); see docs/signin-codes.md. */
    text: z.partialRecord(z.enum(SIGNIN_TEXT_KEYS), z.string().min(1)).default({}),
  })
  .strict();

export type SignInPageConfig = z.output<typeof signInPageSchema>;
export type BrowserSignInMethodConfig = z.output<typeof browserSignInMethodSchema>;
