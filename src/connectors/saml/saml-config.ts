import { z } from 'zod';
import { isLoopbackHost } from '../../login/loopback-host.js';
import { SAML_DIALECTS } from './idp-dialects.js';

/**
 * The config of a SAML service provider as the bridge plays it: who we are to the IdP (entity id, ACS URL), which
 * IdP we trust (its entity id and signing certificates) and how strictly its answers are checked. Shared by every
 * SAML flow (ECP today; Web SSO would reuse it), so it holds no ECP-specific key.
 */

/** A PEM certificate, or its base64 body alone (as metadata's `<ds:X509Certificate>` carries it). */
const certificate = z
  .string()
  .trim()
  .min(1)
  .refine((value) => /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(value) || /^[A-Za-z0-9+/=\s]+$/.test(value), {
    message: 'must be a PEM certificate (-----BEGIN CERTIFICATE-----) or its base64 body',
  });

/** An attribute as the assertion names it: its `Name` (often a URI such as urn:oid:…) or its `FriendlyName`. */
const attributeName = z.string().min(1);

export const samlAttributeMappingSchema = z
  .object({
    /** `nameId` (the assertion's NameID) or the name of an attribute holding the stable, unique id. */
    subject: z.string().min(1).default('nameId'),
    /** `nameId` or an attribute: the username as the IdP knows it. */
    username: z.string().min(1).default('nameId'),
    /** Attributes holding addresses, first found first; every value of each is taken. */
    emails: z.array(attributeName).default(['email', 'mail', 'urn:oid:0.9.2342.19200300.100.1.3']),
    givenName: z.array(attributeName).default(['givenName', 'firstName', 'urn:oid:2.5.4.42']),
    familyName: z.array(attributeName).default(['surname', 'sn', 'lastName', 'urn:oid:2.5.4.4']),
    displayName: z.array(attributeName).default(['displayName', 'urn:oid:2.16.840.1.113730.3.1.241']),
    phone: z.array(attributeName).default(['telephoneNumber', 'urn:oid:2.5.4.20']),
    /** Multi-valued attributes whose values are group names; all of them are merged. */
    groups: z.array(attributeName).default(['groups', 'memberOf', 'isMemberOf', 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1']),
  })
  .strict();

export const samlRequestSigningSchema = z
  .object({
    /** The SP's private key, PEM (PKCS#8 or PKCS#1). */
    privateKey: z.string().min(1),
    /** The SP's certificate, PEM: registered at the IdP, which checks the request's signature with it. */
    certificate,
    signatureAlgorithm: z.enum(['sha256', 'sha512', 'sha1']).default('sha256'),
  })
  .strict();

export const samlServiceProviderShape = {
  /** The bridge's entity id at the IdP (Keycloak: the SAML client's Client ID). */
  spEntityId: z.string().min(1),
  /**
   * The AssertionConsumerServiceURL the AuthnRequest names and the answer must be addressed to (Destination,
   * Recipient). For ECP nothing is ever posted there: it only has to match what the IdP has registered.
   */
  assertionConsumerServiceUrl: z.url(),
  /** The IdP's entity id: every answer's Issuer must be exactly this. */
  idpEntityId: z.string().min(1),
  /** The IdP's signing certificate(s); during a rollover list the old and the new. */
  idpCertificates: z.array(certificate).min(1),
  /** Assertions must carry a valid signature (on by default; turning it off needs a signed Response instead). */
  wantAssertionsSigned: z.boolean().default(true),
  /** The Response element itself must be signed too (Shibboleth signs only the assertion: off by default). */
  wantResponseSigned: z.boolean().default(false),
  /** Tolerated clock difference with the IdP for NotBefore / NotOnOrAfter. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(30),
  /** NameIDPolicy Format to ask for; unset: none asked, the IdP's default for this SP. */
  nameIdFormat: z.string().min(1).optional(),
  /** AuthnContextClassRefs to request; empty: none requested (some IdPs refuse any they do not know). */
  authnContext: z.array(z.string().min(1)).default([]),
  /** Sign the AuthnRequest with the SP's key (when the IdP requires signed requests). */
  signRequests: samlRequestSigningSchema.optional(),
  attributes: samlAttributeMappingSchema.default(samlAttributeMappingSchema.parse({})),
} as const;

export type SamlAttributeMapping = z.output<typeof samlAttributeMappingSchema>;
export type SamlRequestSigning = z.output<typeof samlRequestSigningSchema>;

/** The service-provider part of any SAML connector's config, once validated. */
export interface SamlServiceProviderConfig {
  spEntityId: string;
  assertionConsumerServiceUrl: string;
  idpEntityId: string;
  idpCertificates: string[];
  wantAssertionsSigned: boolean;
  wantResponseSigned: boolean;
  clockSkewSeconds: number;
  nameIdFormat?: string | undefined;
  authnContext: string[];
  signRequests?: SamlRequestSigning | undefined;
  attributes: SamlAttributeMapping;
}

export const samlEcpConnectorSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('saml-ecp'),
    /** The IdP's own ways of refusing a password outside SAML (Keycloak: an HTML page for an unknown user). */
    dialect: z.enum(SAML_DIALECTS).default('generic'),
    /** The IdP's ECP (SOAP/PAOS) endpoint. Keycloak: …/realms/<realm>/protocol/saml; Shibboleth: …/idp/profile/SAML2/SOAP/ECP. */
    ecpUrl: z.url(),
    ...samlServiceProviderShape,
    /** Bounds each call to the IdP, within the login's own deadline. */
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    /** PEM file of the CA(s) that signed the IdP's TLS certificate, trusted beside Node's roots; relative to the config file. */
    caFile: z.string().min(1).optional(),
    /** Allows an http:// ECP endpoint. For tests on loopback only; never in production (the password travels in it). */
    allowInsecureHttp: z.boolean().default(false),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.ecpUrl.startsWith('http:') && !value.allowInsecureHttp) {
      ctx.addIssue({ code: 'custom', path: ['ecpUrl'], message: 'must be https:// (the password travels in it; allowInsecureHttp is for loopback tests only)' });
    } else if (value.ecpUrl.startsWith('http:') && !isLoopbackHost(new URL(value.ecpUrl).hostname)) {
      // The password travels in this request: allowInsecureHttp never sends it in clear text across a network.
      ctx.addIssue({
        code: 'custom',
        path: ['ecpUrl'],
        message: `${value.ecpUrl} is plain http to ${new URL(value.ecpUrl).hostname}, which is not a loopback host: use https:// (allowInsecureHttp covers 127.0.0.0/8, ::1 and localhost only)`,
      });
    }
    if (!value.wantAssertionsSigned && !value.wantResponseSigned) {
      ctx.addIssue({ code: 'custom', path: ['wantAssertionsSigned'], message: 'an unsigned answer proves nothing: keep wantAssertionsSigned, or set wantResponseSigned' });
    }
  });

export type SamlEcpConnectorConfig = z.output<typeof samlEcpConnectorSchema>;
