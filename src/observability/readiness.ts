/**
 * Readiness, computed in the background so that `/readyz` answers at once. A check that waits on an IdP behind a
 * firewall (connections accepted, never answered) would otherwise make every readiness request last as long as the
 * check's timeout; when that reaches the kubelet's probe timeout, each probe counts as failed and every replica goes
 * NotReady together — break-glass accounts included — which is what "degraded, not 503" exists to prevent.
 *
 * Each check runs every `intervalMs`, bounded by `timeoutMs`, independently of the others (a hung one does not
 * delay the rest, and is not started again while it runs); `/readyz` reports the last result of each.
 */
export interface ReadinessCheck {
  name: string;
  /**
   * A failing critical check takes the replica out of the load balancer (503). A non-critical one only marks
   * it `degraded` (200): an IdP or Redis outage hits every replica at once, and pulling them all would turn
   * a partial outage (break-glass accounts still work, caches fall back to memory) into a total one.
   */
  critical: boolean;
  /** Resolves when ready; rejects with the reason otherwise. */
  check(): Promise<void>;
}

export interface ReadinessResult {
  name: string;
  critical: boolean;
  ok: boolean;
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'not ready';
  /** false: answer 503. */
  ready: boolean;
  checks: ReadinessResult[];
  /** Age of the oldest result, in milliseconds (0 while a first result is awaited). */
  ageMs: number;
}

export interface ReadinessMonitor {
  /** The last results, at once. */
  report(): ReadinessReport;
  /** Runs every check that is not running already, now (after an event that may have changed one). */
  refresh(): void;
  stop(): void;
}

export interface ReadinessOptions {
  intervalMs: number;
  timeoutMs: number;
  now?: () => number;
}

interface CheckState {
  check: ReadinessCheck;
  running: Promise<void> | undefined;
  result: ReadinessResult;
  at: number | undefined;
}

export function createReadinessMonitor(checks: readonly ReadinessCheck[], options: ReadinessOptions): ReadinessMonitor {
  const now = options.now ?? Date.now;
  const states: CheckState[] = checks.map((check) => ({
    check,
    running: undefined,
    result: { name: check.name, critical: check.critical, ok: false, error: 'not checked yet' },
    at: undefined,
  }));
  let stopped = false;

  const run = (state: CheckState): void => {
    state.running ??= withTimeout(state.check.check(), options.timeoutMs)
      .then(
        () => ({ name: state.check.name, critical: state.check.critical, ok: true }),
        (err: unknown) => ({ name: state.check.name, critical: state.check.critical, ok: false, error: err instanceof Error ? err.message : String(err) }),
      )
      .then((result: ReadinessResult) => {
        state.result = result;
        state.at = now();
        state.running = undefined;
      });
  };

  const refresh = () => {
    if (stopped) return;
    for (const state of states) run(state);
  };

  refresh();
  const timer = setInterval(refresh, options.intervalMs);
  timer.unref();

  return {
    report() {
      const results = states.map((s) => s.result);
      const ready = results.every((r) => r.ok || !r.critical);
      const status = !ready ? 'not ready' : results.every((r) => r.ok) ? 'ready' : 'degraded';
      const times = states.map((s) => s.at).filter((at): at is number => at !== undefined);
      return { status, ready, checks: results, ageMs: times.length === 0 ? 0 : Math.max(0, now() - Math.min(...times)) };
    },
    refresh,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
