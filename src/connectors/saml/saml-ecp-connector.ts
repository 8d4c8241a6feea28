import type { LoginAttempt, LoginOutcome } from '../../login/vocabulary.js';
import type { PasswordConnector } from '../../login/password-connector.js';
import type { Deadline } from '../../login/deadline.js';
import { PAOS_BINDING, buildAuthnRequest } from './authn-request.js';
import { readCaFile } from '../../login/upstream-agent.js';
import { createEcpPoster, EcpAnswerTooLarge, EcpTimeout, type EcpHttpAnswer } from './ecp-post.js';
import { isDialectInvalidCredentials } from './idp-dialects.js';
import { pendingRequestCache } from './pending-requests.js';
import { validateSamlResponse } from './response-validation.js';
import { identityFromAssertion, readAssertion } from './saml-attributes.js';
import type { SamlEcpConnectorConfig } from './saml-config.js';
import { createSamlInstance } from './saml-instance.js';
import { readSoapAnswer, wrapInSoapEnvelope } from './soap-envelope.js';
import { classifySamlStatus, classifySoapFault, shortStatus, type SamlFailureKind } from './status-codes.js';

/** An operator-facing failure: the message says what went wrong, and never contains a credential. */
export class SamlConnectorError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SamlConnectorError';
  }
}

/**
 * SAML 2.0 ECP (Enhanced Client or Proxy): the profile SAML has for a client that holds the person's username and
 * password. Each login builds an AuthnRequest with node-saml, POSTs it in a SOAP envelope to the IdP's ECP
 * endpoint with the credentials as HTTP Basic, takes the `samlp:Response` out of the SOAP answer and validates it
 * (`response-validation.ts`) before its attributes become the identity.
 */
export function createSamlEcpConnector(config: SamlEcpConnectorConfig): PasswordConnector {
  const requestLifetimeMs = Math.max(60_000, config.timeoutMs * 2);
  const pendingRequests = pendingRequestCache({ maxEntries: 10_000, ttlMs: requestLifetimeMs });
  const saml = createSamlInstance(
    // Requests are signed after their binding is set (authn-request.ts), not by node-saml's own request path.
    { ...config, signRequests: undefined },
    { idpEndpoint: config.ecpUrl, pendingRequests, requestLifetimeMs },
  );
  const poster = createEcpPoster({
    connectTimeoutMs: Math.min(config.timeoutMs, 5_000),
    requestTimeoutMs: config.timeoutMs,
    ca: config.caFile ? readCaFile(config.caFile) : undefined,
  });

  const fail = (kind: SamlFailureKind, code: string, message: string, cause?: unknown): LoginOutcome => {
    switch (kind) {
      case 'invalid_credentials':
        return { kind };
      case 'mfa_required':
      case 'disabled':
        return { kind, detail: `${config.id}: ${message}` };
      case 'misconfigured':
      case 'unavailable':
        return { kind, cause: new SamlConnectorError(code, `${config.id}: ${message}`, cause === undefined ? undefined : { cause }) };
    }
  };

  async function exchange(attempt: LoginAttempt, deadline: Deadline): Promise<LoginOutcome> {
    // RFC 7617 Basic cannot carry a colon in the user-id: such a username could never log in.
    if (attempt.username.includes(':') || attempt.username === '') return { kind: 'invalid_credentials' };
    const request = await buildAuthnRequest(saml, { protocolBinding: PAOS_BINDING, signing: config.signRequests });
    try {
      let answer: EcpHttpAnswer;
      try {
        answer = await poster.post(config.ecpUrl, wrapInSoapEnvelope(request.xml), attempt, deadline);
      } catch (err) {
        if (err instanceof EcpTimeout) return fail('unavailable', 'ERR_SAML_IDP_TIMEOUT', err.message, err);
        if (err instanceof EcpAnswerTooLarge) return fail('unavailable', err.code, err.message, err);
        return fail('unavailable', 'ERR_SAML_IDP_UNREACHABLE', `ECP request failed: ${errorText(err)}`, err);
      }
      // Keycloak and Shibboleth answer wrong credentials with 401 and a challenge, before any SAML.
      if (answer.status === 401 || isDialectInvalidCredentials(config.dialect, answer)) return { kind: 'invalid_credentials' };

      let soap;
      try {
        soap = readSoapAnswer(answer.body);
      } catch (err) {
        const what = /html/i.test(answer.contentType) || /^\s*<(!doctype html|html)/i.test(answer.body) ? 'an HTML page' : 'no usable SOAP answer';
        return fail('unavailable', 'ERR_SAML_BAD_ANSWER', `the ECP endpoint sent ${what} (HTTP ${answer.status}): ${errorText(err)}`, err);
      }
      if (soap.kind === 'fault') {
        return fail(classifySoapFault(soap.faultCode), 'ERR_SAML_SOAP_FAULT', `SOAP fault ${soap.faultCode} (HTTP ${answer.status}): ${soap.faultString.slice(0, 200)}`);
      }
      if (answer.status !== 200) return fail('unavailable', 'ERR_SAML_BAD_ANSWER', `the ECP endpoint answered HTTP ${answer.status}`);
      if (soap.ecpAssertionConsumerServiceUrl !== undefined && soap.ecpAssertionConsumerServiceUrl !== config.assertionConsumerServiceUrl) {
        // ECP profile §4.2.4.5: the ECP must not deliver an answer meant for another consumer.
        return fail('misconfigured', 'ERR_SAML_ACS_MISMATCH', `the IdP addresses its answer to ${soap.ecpAssertionConsumerServiceUrl}, not to assertionConsumerServiceUrl ${config.assertionConsumerServiceUrl}`);
      }

      const verdict = await validateSamlResponse(saml, soap.responseXml, {
        requestId: request.id,
        idpEntityId: config.idpEntityId,
        assertionConsumerServiceUrl: config.assertionConsumerServiceUrl,
      });
      if (verdict.kind === 'status') {
        const kind = classifySamlStatus(verdict.topLevel, verdict.secondLevel);
        const label = [shortStatus(verdict.topLevel), shortStatus(verdict.secondLevel)].filter(Boolean).join('/');
        return fail(kind, 'ERR_SAML_STATUS', `the IdP answered status ${label || '(none)'}${verdict.message ? `: ${verdict.message.slice(0, 200)}` : ''}`);
      }
      if (verdict.kind === 'rejected') {
        // The IdP answered, but its answer failed verification: a certificate or entity id set wrong, a key
        // rollover, or a forgery. Never a login.
        return fail('misconfigured', 'ERR_SAML_RESPONSE_REJECTED', `SAML response rejected: ${verdict.reason}`);
      }
      const identity = identityFromAssertion(readAssertion(verdict.assertion), config.attributes, {
        connectorId: config.id,
        issuer: config.idpEntityId,
        typedUsername: attempt.username,
      });
      if (!identity) {
        return fail('misconfigured', 'ERR_SAML_NO_SUBJECT', `the assertion has no ${config.attributes.subject === 'nameId' ? 'NameID' : `attribute "${config.attributes.subject}"`} for attributes.subject`);
      }
      return { kind: 'ok', identity };
    } finally {
      // Answered or not, this request id must never validate another answer.
      await pendingRequests.removeAsync(request.id);
    }
  }

  return {
    id: config.id,
    type: 'saml-ecp',
    login: (attempt, deadline) => exchange(attempt, deadline),
    close: () => poster.close(),
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
  return String(err);
}
