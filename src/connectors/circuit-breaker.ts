import type { LoginAttempt, LoginOutcome } from '../login/vocabulary.js';
import type { PasswordConnector } from '../login/password-connector.js';
import type { Deadline } from '../login/deadline.js';

/**
 * When an IdP stops answering, every login would wait for the full upstream timeout and pile up; after
 * `failureThreshold` consecutive `unavailable` outcomes the breaker opens and answers `unavailable` at once
 * for `openMs`, then lets one login through (half-open) to see whether the IdP is back. Only `unavailable`
 * counts: a wrong password or a misconfiguration is an answer, not an outage.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  openMs: number;
  onStateChange?(connectorId: string, state: CircuitState): void;
  now?: () => number;
}

/**
 * A failed group lookup (Graph, Okta API) is reported as `unavailable` too, but the IdP itself answered:
 * opening the breaker would refuse every user because a few have too many groups for the token.
 */
const NOT_AN_IDP_OUTAGE = new Set(['ERR_GROUPS_UNAVAILABLE']);

function isIdpOutage(outcome: LoginOutcome): boolean {
  if (outcome.kind !== 'unavailable') return false;
  const code = (outcome.cause as { code?: unknown }).code;
  return !(typeof code === 'string' && NOT_AN_IDP_OUTAGE.has(code));
}

export class CircuitOpenError extends Error {
  readonly code = 'ERR_CIRCUIT_OPEN';
}

export function withCircuitBreaker(connector: PasswordConnector, options: CircuitBreakerOptions): PasswordConnector & { state(): CircuitState } {
  const now = options.now ?? Date.now;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probing = false;

  const setState = (next: CircuitState) => {
    if (next === state) return;
    state = next;
    options.onStateChange?.(connector.id, next);
  };

  const record = (outcome: LoginOutcome) => {
    if (isIdpOutage(outcome)) {
      failures += 1;
      if (state === 'half_open' || failures >= options.failureThreshold) {
        openedAt = now();
        setState('open');
      }
    } else {
      failures = 0;
      setState('closed');
    }
  };

  const wrapped: PasswordConnector & { state(): CircuitState } = {
    id: connector.id,
    type: connector.type,
    state: () => state,
    async login(attempt: LoginAttempt, deadline: Deadline): Promise<LoginOutcome> {
      if (state === 'open') {
        if (now() - openedAt < options.openMs) {
          return { kind: 'unavailable', cause: new CircuitOpenError(`${connector.id}: circuit open after ${failures} consecutive failures; not calling the IdP`) };
        }
        setState('half_open');
      }
      if (state === 'half_open') {
        // One trial login at a time; the others fail fast until it has answered.
        if (probing) return { kind: 'unavailable', cause: new CircuitOpenError(`${connector.id}: circuit half-open, trial login in progress`) };
        probing = true;
        try {
          const outcome = await connector.login(attempt, deadline);
          record(outcome);
          return outcome;
        } finally {
          probing = false;
        }
      }
      const outcome = await connector.login(attempt, deadline);
      record(outcome);
      return outcome;
    },
  };
  if (connector.hasAccount) wrapped.hasAccount = (username) => connector.hasAccount!(username);
  if (connector.prepare) wrapped.prepare = (deadline) => connector.prepare!(deadline);
  if (connector.close) wrapped.close = () => connector.close!();
  return wrapped;
}
