import type { LoginOutcome } from './vocabulary.js';

/**
 * A failed group lookup (Graph, Okta API) is reported as `unavailable` too, but the IdP itself answered and
 * checked the password: it is no outage of the IdP.
 */
const NOT_AN_IDP_OUTAGE = new Set(['ERR_GROUPS_UNAVAILABLE']);

/**
 * Whether the outcome says the IdP did not answer (down, hung, 5xx) — as opposed to an answer, however negative
 * ("wrong password", "account disabled", a misconfiguration). The circuit breaker counts these, and a realm's
 * break-glass fallback is asked only after one.
 */
export function isIdpOutage(outcome: LoginOutcome): outcome is Extract<LoginOutcome, { kind: 'unavailable' }> {
  if (outcome.kind !== 'unavailable') return false;
  const code = (outcome.cause as { code?: unknown }).code;
  return !(typeof code === 'string' && NOT_AN_IDP_OUTAGE.has(code));
}
