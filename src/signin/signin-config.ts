import { z } from 'zod';
import { samlServiceProviderShape } from '../connectors/saml/saml-config.js';
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

/**
 * SAML 2.0 Web SSO: the AuthnRequest goes to the IdP's SSO URL in the browser (HTTP-Redirect binding), the answer
 * comes back as an HTTP-POST to `<publicUrl>/signin/<realm>/saml/acs`, and the SP metadata is published at
 * `<publicUrl>/signin/<realm>/saml/metadata`. The service-provider keys are those of the saml-ecp connector,
 * except the ACS URL, which is always the page's own.
 */
const { assertionConsumerServiceUrl: _acsIsThePagesOwn, ...samlWebServiceProviderShape } = samlServiceProviderShape;

const samlMethodSchema = z
  .object({
    type: z.literal('saml'),
    /** The IdP's SSO endpoint for the HTTP-Redirect binding (Keycloak: …/realms/<realm>/protocol/saml). */
    ssoUrl: z.url(),
    ...samlWebServiceProviderShape,
    /** Allows an http:// SSO URL. For tests on loopback only (the person types their password there). */
    allowInsecureHttp: z.boolean().default(false),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.ssoUrl.startsWith('http:') && !value.allowInsecureHttp) {
      ctx.addIssue({ code: 'custom', path: ['ssoUrl'], message: 'must be https:// (people type their password there; allowInsecureHttp is for loopback tests only)' });
    }
    if (!value.wantAssertionsSigned && !value.wantResponseSigned) {
      ctx.addIssue({ code: 'custom', path: ['wantAssertionsSigned'], message: 'an unsigned answer proves nothing: keep wantAssertionsSigned, or set wantResponseSigned' });
    }
  });

/** One entry per kind of browser sign-in. */
export const browserSignInMethodSchema = z.discriminatedUnion('type', [oidcMethodSchema, samlMethodSchema]);

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
export type SamlSignInMethodConfig = z.output<typeof samlMethodSchema>;
