import { Pool } from 'undici';
import { serveCommands } from './ipc.js';
import { statsHandlers, type StatsCommands } from './process-stats.js';
import { summarize, type LatencySummary } from './stats.js';

/**
 * The load generator, in a process of its own (it must not share an event loop with any target). Written on
 * undici's Pool rather than autocannon, so that it can do an open loop at a fixed rate and check every answer.
 * Every response body is checked for `expect`: a fast wrong answer must not count as a login.
 */
export interface Target {
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** Request bodies, used round-robin. */
  bodies: string[];
  /** A substring every good answer contains. */
  expect: string;
}

export interface LoadResult {
  requests: number;
  failures: number;
  firstFailure?: string;
  elapsedMs: number;
  perSecond: number;
  latency: LatencySummary;
  /** Open loop only: every latency in ms (for the chart), and how late the scheduler fired at worst. */
  samples?: number[];
  schedulerLagMaxMs?: number;
}

export interface LoadCommands extends StatsCommands {
  /** Saturation: `connections` clients each send the next request as soon as the previous answer arrives. */
  closed: { args: { target: Target; connections: number; warmupMs: number; durationMs: number }; result: LoadResult };
  /** Fixed offered load: requests start on schedule whether or not earlier ones have finished. */
  open: { args: { target: Target; ratePerSecond: number; connections: number; warmupMs: number; durationMs: number }; result: LoadResult };
  /** Exactly one request per body, in order, `connections` at a time. */
  fixed: { args: { target: Target; connections: number }; result: LoadResult };
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Generous bounds on every request: a target that stalls fails the run rather than hanging it. */
const REQUEST_TIMEOUTS = { headersTimeout: 30_000, bodyTimeout: 30_000 } as const;

class Recorder {
  requests = 0;
  failures = 0;
  firstFailure: string | undefined;
  latencies: number[] = [];
  constructor(readonly keepSamples: boolean) {}
}

interface Window {
  from: number;
  to: number;
}

/** Sends one request; records it when `recorder` is given and it completes inside `window` (if any). */
function send(pool: Pool, target: Target, body: string, recorder: Recorder | undefined, window?: Window): Promise<void> {
  const started = now();
  const counts = (): boolean => {
    if (!recorder) return false;
    if (!window) return true;
    const t = now();
    return t >= window.from && t <= window.to;
  };
  return pool
    .request({ method: 'POST', path: target.path, headers: target.headers, body, ...REQUEST_TIMEOUTS })
    .then(async (res) => {
      const text = await res.body.text();
      if (!recorder || !counts()) return;
      recorder.requests += 1;
      recorder.latencies.push(now() - started);
      if (res.statusCode !== 200 || !text.includes(target.expect)) {
        recorder.failures += 1;
        recorder.firstFailure ??= `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
      }
    })
    .catch((err: unknown) => {
      if (!recorder || !counts()) return;
      recorder.requests += 1;
      recorder.failures += 1;
      recorder.firstFailure ??= err instanceof Error ? err.message : String(err);
    });
}

function result(recorder: Recorder, elapsedMs: number, extra: Partial<LoadResult> = {}): LoadResult {
  const out: LoadResult = {
    requests: recorder.requests,
    failures: recorder.failures,
    elapsedMs,
    perSecond: (recorder.requests / elapsedMs) * 1000,
    latency: summarize(recorder.latencies),
    ...extra,
  };
  if (recorder.firstFailure) out.firstFailure = recorder.firstFailure;
  if (recorder.keepSamples) out.samples = recorder.latencies;
  return out;
}

/**
 * Opens the pool's `connections` connections before anything is timed, with one cheap request each (a GET, which
 * every target answers at once with a 404 or 405). Without it every round began with a burst of new connections
 * into a target that is already saturated by the first ones: Node accepts new connections a few per event-loop
 * turn while it is busy, so some waited up to 4.5 s in the kernel's accept queue (seen with strace and
 * `ss -ltn`, B and C alike), and their first logins landed in the measured window with that wait in their
 * latency. Saturation is about logins on open keep-alive connections, as behind an ingress.
 */
async function openConnections(pool: Pool, target: Target, connections: number): Promise<void> {
  await Promise.all(
    Array.from({ length: connections }, () =>
      pool.request({ method: 'GET', path: target.path, headers: target.headers, ...REQUEST_TIMEOUTS }).then((res) => res.body.dump()),
    ),
  );
}

async function closedLoop(args: LoadCommands['closed']['args']): Promise<LoadResult> {
  const { target, connections, warmupMs, durationMs } = args;
  const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  await openConnections(pool, target, connections);
  let next = 0;
  const measured = new Recorder(false);
  const measureFrom = now() + warmupMs;
  const stopAt = measureFrom + durationMs;
  // Answers that complete inside the window count, whenever they were sent: throughput = count / window.
  const window: Window = { from: measureFrom, to: stopAt };
  const client = async (): Promise<void> => {
    while (now() < stopAt) await send(pool, target, target.bodies[next++ % target.bodies.length]!, measured, window);
  };
  await Promise.all(Array.from({ length: connections }, client));
  await pool.close();
  return result(measured, durationMs);
}

async function openLoop(args: LoadCommands['open']['args']): Promise<LoadResult> {
  const { target, ratePerSecond, connections, warmupMs, durationMs } = args;
  const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  await openConnections(pool, target, connections);
  const interval = 1000 / ratePerSecond;
  const warmupCount = Math.round(warmupMs / interval);
  const total = warmupCount + Math.round(durationMs / interval);
  const recorder = new Recorder(true);
  const inFlight: Promise<void>[] = [];
  let lagMax = 0;
  const start = now() + 5;
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const t = now();
      while (i < total && start + i * interval <= t) {
        if (i >= warmupCount) lagMax = Math.max(lagMax, t - (start + i * interval));
        inFlight.push(send(pool, target, target.bodies[i % target.bodies.length]!, i >= warmupCount ? recorder : undefined));
        i += 1;
      }
      if (i >= total) return resolve();
      // Timers fire at ~1 ms granularity; sleeping until just before the next due request keeps lag below that.
      setTimeout(tick, Math.max(0, start + i * interval - now() - 0.5));
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsed = now() - (start + warmupCount * interval);
  await pool.close();
  return result(recorder, elapsed, { schedulerLagMaxMs: lagMax });
}

async function fixedCount(args: LoadCommands['fixed']['args']): Promise<LoadResult> {
  const { target, connections } = args;
  const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const recorder = new Recorder(false);
  let next = 0;
  const start = now();
  const client = async (): Promise<void> => {
    while (next < target.bodies.length) await send(pool, target, target.bodies[next++]!, recorder);
  };
  await Promise.all(Array.from({ length: connections }, client));
  const elapsed = now() - start;
  await pool.close();
  return result(recorder, elapsed);
}

serveCommands<LoadCommands>(
  {},
  {
    ...statsHandlers(),
    closed: closedLoop,
    open: openLoop,
    fixed: fixedCount,
  },
);
