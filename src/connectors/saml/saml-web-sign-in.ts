import { randomBytes } from 'node:crypto';
import type { CacheProvider } from '@node-saml/node-saml';
import type { BrowserSignInMethod, BrowserSignInOutcome } from '../../login/browser-sign-in.js';
import type { SamlSignInMethodConfig } from '../../signin/signin-config.js';
import { validateSamlResponse } from './response-validation.js';
import { identityFromAssertion, readAssertion } from './saml-attributes.js';
import { createSamlInstance } from './saml-instance.js';
import { shortStatus } from './status-codes.js';
import { SamlConnectorError } from './saml-ecp-connector.js';

/**
 * SAML 2.0 Web SSO for the sign-in page, through node-saml: `start` sends the browser to the IdP's SSO URL with
 * an AuthnRequest in the query (HTTP-Redirect binding, signed there when `signRequests` is set) and the page's
 * state as RelayState; the IdP answers with a form the browser POSTs to the page's ACS URL (HTTP-POST binding),
 * and `finish` validates that SAMLResponse with the checks the ECP connector makes (response-validation.ts:
 * signature, audience, time window, Issuer, Destination, Recipient, InResponseTo) before the attributes become
 * the identity through the same mapping.
 *
 * The request's ID is kept with the page's pending sign-in (server-side, taken once), not in node-saml's own
 * per-process memory: the answer may reach another replica, and node-saml accepts any id its cache holds. So
 * each validation gets a node-saml instance whose cache knows exactly this sign-in's request id, and nothing
 * else; an unsolicited (IdP-initiated) answer or one for another request is refused.
 */
interface PendingChecks {
  requestId: string;
}

/** Nothing is remembered at the start: the id travels in the page's pending sign-in instead. */
const rememberNothing: CacheProvider = {
  saveAsync: async (_key, value) => ({ value, createdAt: Date.now() }),
  getAsync: async () => null,
  removeAsync: async () => null,
};

/**
 * Knows one request id: the one this answer must be for. node-saml reads the value as the time the request was
 * made; its lifetime is the pending sign-in's, already checked when the page took it, so "now" is right here.
 */
function onlyRequest(requestId: string): CacheProvider {
  return {
    saveAsync: async (_key, value) => ({ value, createdAt: Date.now() }),
    getAsync: async (key) => (key === requestId ? new Date().toISOString() : null),
    removeAsync: async () => null,
  };
}

/** A SAMLResponse is a few kilobytes; this bounds what is decoded and parsed. */
const MAX_RESPONSE_CHARS = 256 * 1024;

export function createSamlWebSignIn(config: SamlSignInMethodConfig): BrowserSignInMethod {
  const id = `saml:${config.spEntityId}`;
  const instance = (acsUrl: string, pendingRequests: CacheProvider, requestId?: string) =>
    createSamlInstance(
      { ...config, assertionConsumerServiceUrl: acsUrl },
      {
        idpEndpoint: config.ssoUrl,
        pendingRequests,
        requestLifetimeMs: 3_600_000,
        requestBinding: 'HTTP-Redirect',
        ...(requestId ? { requestId: () => requestId } : {}),
      },
    );

  return {
    id,
    type: 'saml',
    answeredBy: 'form-post',
    async start(request) {
      const checks: PendingChecks = { requestId: `_${randomBytes(20).toString('hex')}` };
      const redirectTo = await instance(request.redirectUri, rememberNothing, checks.requestId).getAuthorizeUrlAsync(request.state, undefined, {});
      return { redirectTo, pending: JSON.stringify(checks) };
    },
    stateOf: (callback) => callback.form?.get('RelayState') || undefined,
    async finish(callback, pending, request): Promise<BrowserSignInOutcome> {
      const { requestId } = JSON.parse(pending) as PendingChecks;
      const encoded = callback.form?.get('SAMLResponse')?.replace(/\s+/g, '') ?? '';
      if (encoded === '' || encoded.length > MAX_RESPONSE_CHARS || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
        return { kind: 'refused', detail: 'no_saml_response' };
      }
      const verdict = await validateSamlResponse(instance(request.redirectUri, onlyRequest(requestId)), Buffer.from(encoded, 'base64').toString('utf8'), {
        requestId,
        idpEntityId: config.idpEntityId,
        assertionConsumerServiceUrl: request.redirectUri,
      });
      switch (verdict.kind) {
        case 'status':
          // The IdP did not let the person in (cancelled, denied, MFA failed): its own status code, safe to show.
          return { kind: 'refused', detail: shortStatus(verdict.secondLevel) || shortStatus(verdict.topLevel) || 'no_status' };
        case 'rejected':
          // An answer that fails verification: a certificate or entity id set wrong, a key rollover, or a forgery.
          return { kind: 'misconfigured', cause: new SamlConnectorError('ERR_SAML_RESPONSE_REJECTED', `${id}: SAML response rejected: ${verdict.reason}`) };
        case 'valid':
          break;
      }
      const identity = identityFromAssertion(readAssertion(verdict.assertion), config.attributes, { connectorId: id, issuer: config.idpEntityId, typedUsername: '' });
      if (!identity) {
        const wanted = config.attributes.subject === 'nameId' ? 'NameID' : `attribute "${config.attributes.subject}"`;
        return { kind: 'misconfigured', cause: new SamlConnectorError('ERR_SAML_NO_SUBJECT', `${id}: the assertion has no ${wanted} for attributes.subject`) };
      }
      if (identity.username === '') identity.username = identity.subject;
      return { kind: 'ok', identity };
    },
    serviceProviderMetadata(callbackUrl) {
      const saml = instance(callbackUrl, rememberNothing);
      return saml.generateServiceProviderMetadata(null, config.signRequests ? config.signRequests.certificate : null);
    },
  };
}
