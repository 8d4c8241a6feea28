import type { LoginAttempt, LoginOutcome } from '../login/vocabulary.js';
import type { PasswordConnector } from '../login/password-connector.js';
import { deadlineIn, type Deadline } from '../login/deadline.js';
import { isIdpOutage } from '../login/outage.js';

/**
 * When an IdP stops answering, every login would wait for the full upstream timeout and pile up; after
 * `failureThreshold` consecutive `unavailable` outcomes the breaker opens and answers `unavailable` at once.
 * Only an outage counts: a wrong password or a misconfiguration is an answer, not an outage.
 *
 * Two rules make logins work again soon after the IdP is back, without letting a hung IdP collect waiting logins:
 *
 * - **Failures are judged by when the attempt started.** A login that hung during the outage fails only when its
 *   own timeout ends, which may be well after the IdP recovered. If an attempt (or probe) that started *later*
 *   has already had an answer, that failure is old news about the IdP and is not counted: otherwise the hung
 *   logins of the outage would open the breaker just after the recovery, for the whole open period.
 * - **While open, the IdP is probed in the background** (`probe`: one cheap, uncached request, bounded by
 *   `probeTimeoutMs`) every `probeIntervalMs`; the first probe that gets an answer closes the breaker. Logins
 *   meanwhile fail fast and never wait on the IdP, so a hung IdP holds at most one probe, not the logins.
 *   A connector without `probe` falls back to the classic half-open trial: after `openMs`, one login is let
 *   through and its outcome decides. With a probe, `openMs` still lets such a trial through, as a second way back.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  openMs: number;
  /** How often an open breaker probes the IdP (connectors with `probe` only). */
  probeIntervalMs?: number;
  /** Bound on one probe. */
  probeTimeoutMs?: number;
  onStateChange?(connectorId: string, state: CircuitState): void;
  now?: () => number;
}

export const DEFAULT_PROBE_INTERVAL_MS = 1_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 1_000;

export class CircuitOpenError extends Error {
  readonly code = 'ERR_CIRCUIT_OPEN';
}

export function withCircuitBreaker(connector: PasswordConnector, options: CircuitBreakerOptions): PasswordConnector & { state(): CircuitState } {
  const now = options.now ?? Date.now;
  const probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  const probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let trialRunning = false;
  /** When the latest attempt or probe that got an answer from the IdP started. */
  let lastAnswerStartedAt = -Infinity;
  let probeTimer: NodeJS.Timeout | undefined;
  let probeRunning = false;
  let closedForGood = false;

  const setState = (next: CircuitState) => {
    if (next === state) return;
    state = next;
    if (next === 'open') scheduleProbe();
    if (next === 'closed') {
      clearTimeout(probeTimer);
      probeTimer = undefined;
    }
    options.onStateChange?.(connector.id, next);
  };

  const answered = (startedAt: number) => {
    lastAnswerStartedAt = Math.max(lastAnswerStartedAt, startedAt);
    failures = 0;
    setState('closed');
  };

  const record = (outcome: LoginOutcome, startedAt: number, trial: boolean) => {
    if (!isIdpOutage(outcome)) {
      answered(startedAt);
      return;
    }
    // Something that started after this attempt has had an answer: this failure is from before the recovery.
    if (startedAt < lastAnswerStartedAt) return;
    if (state === 'open' && !trial) return;
    failures += 1;
    if (trial || failures >= options.failureThreshold) {
      openedAt = now();
      setState('open');
    }
  };

  const probe = connector.probe?.bind(connector);
  function scheduleProbe() {
    if (!probe || probeTimer !== undefined || probeRunning || closedForGood) return;
    probeTimer = setTimeout(() => {
      probeTimer = undefined;
      void runProbe();
    }, probeIntervalMs);
    probeTimer.unref();
  }
  async function runProbe() {
    probeRunning = true;
    const startedAt = now();
    const deadline = deadlineIn(probeTimeoutMs, `${connector.id}: probe timed out`);
    let ok = false;
    try {
      // The race makes sure a probe that ignores its deadline cannot stop the probing.
      ok = await Promise.race([
        probe!(deadline).then(() => true, () => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, probeTimeoutMs, false).unref()),
      ]);
    } finally {
      deadline.dispose();
      probeRunning = false;
    }
    if (ok) answered(startedAt);
    else if (state !== 'closed') scheduleProbe();
  }

  const attemptThrough = async (attempt: LoginAttempt, deadline: Deadline, trial: boolean): Promise<LoginOutcome> => {
    const startedAt = now();
    const outcome = await connector.login(attempt, deadline);
    record(outcome, startedAt, trial);
    return outcome;
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
        if (trialRunning) return { kind: 'unavailable', cause: new CircuitOpenError(`${connector.id}: circuit half-open, trial login in progress`) };
        trialRunning = true;
        try {
          return await attemptThrough(attempt, deadline, true);
        } finally {
          trialRunning = false;
        }
      }
      return attemptThrough(attempt, deadline, false);
    },
  };
  if (connector.hasAccount) wrapped.hasAccount = (username) => connector.hasAccount!(username);
  if (connector.prepare) wrapped.prepare = (deadline) => connector.prepare!(deadline);
  if (connector.probe) wrapped.probe = (deadline) => connector.probe!(deadline);
  wrapped.close = async () => {
    closedForGood = true;
    clearTimeout(probeTimer);
    await connector.close?.();
  };
  return wrapped;
}
