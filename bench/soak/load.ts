import { Pool } from 'undici';
import { readLoginShareAnswer } from '../../src/probe/kayako-answer.js';
import { loginShareBody, REALM_ID, REALM_SECRET, userName } from '../fixtures.js';
import { serveCommands } from '../ipc.js';
import { statsHandlers, type StatsCommands } from '../process-stats.js';

/**
 * The soak's Kayako: `connections` logins in flight at all times, spread over the bridge replicas in turn, each
 * answer read as Kayako reads it. Every request ends as exactly one of: accepted, refused (LoginShare XML with
 * result 0: the person sees the message), or lost (no answer, a broken connection, or anything that is not
 * LoginShare XML). Counted per second of the run.
 */
export interface SecondOfLoad {
  accepted: number;
  refused: number;
  lost: number;
  /** Latencies (ms) of the answers that completed in this second. */
  latencies: number[];
}

export interface SoakLoadResult {
  /** Wall clock (ms since the epoch) when the load started, so the orchestrator can place its events. */
  startedAt: number;
  seconds: SecondOfLoad[];
  /** Refusal messages and what was lost, with counts. */
  refusals: Record<string, number>;
  losses: Record<string, number>;
}

export interface SoakLoadCommands extends StatsCommands {
  run: { args: { origins: string[]; connections: number; durationMs: number; users: number }; result: SoakLoadResult };
}

/** Longer than any login may take (the bridge's deadline is 20 s), shorter than Kayako's 100 s. */
const TIMEOUTS = { headersTimeout: 30_000, bodyTimeout: 30_000 } as const;

async function run({ origins, connections, durationMs, users }: SoakLoadCommands['run']['args']): Promise<SoakLoadResult> {
  const pools = origins.map((origin) => new Pool(origin, { connections: Math.ceil(connections / origins.length), keepAliveTimeout: 30_000 }));
  const seconds: SecondOfLoad[] = [];
  const refusals: Record<string, number> = {};
  const losses: Record<string, number> = {};
  const startedAt = Date.now();
  const started = performance.now();
  const until = started + durationMs;
  const path = `/loginshare/${REALM_ID}/user?key=${REALM_SECRET}`;
  let next = 0;
  const second = (): SecondOfLoad => {
    // An answer that arrives after the end belongs to the last second.
    const index = Math.min(Math.floor((performance.now() - started) / 1000), Math.ceil(durationMs / 1000) - 1);
    while (seconds.length <= index) seconds.push({ accepted: 0, refused: 0, lost: 0, latencies: [] });
    return seconds[index]!;
  };
  const client = async (): Promise<void> => {
    while (performance.now() < until) {
      const n = next++;
      const pool = pools[n % pools.length]!;
      const body = loginShareBody(userName(n % users), n);
      const at = performance.now();
      let outcome: 'accepted' | 'refused' | 'lost';
      try {
        const response = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'SWIFT_LoginShare' }, body, ...TIMEOUTS });
        const bytes = new Uint8Array(await response.body.arrayBuffer());
        const verdict = readLoginShareAnswer(bytes, 'user');
        if (response.statusCode !== 200) {
          outcome = 'lost';
          count(losses, `HTTP ${response.statusCode}`);
        } else if (verdict.accepted) {
          outcome = 'accepted';
        } else if (verdict.code === 'login-failed') {
          outcome = 'refused';
          count(refusals, verdict.kayakoMessage);
        } else {
          // Not what the bridge ever sends: Kayako would show "Invalid data provided".
          outcome = 'lost';
          count(losses, `${verdict.code}: ${verdict.reason}`);
        }
      } catch (err) {
        outcome = 'lost';
        count(losses, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      }
      const bucket = second();
      bucket[outcome] += 1;
      bucket.latencies.push(performance.now() - at);
    }
  };
  await Promise.all(Array.from({ length: connections }, () => client()));
  await Promise.all(pools.map((pool) => pool.close()));
  return { startedAt, seconds, refusals, losses };
}

function count(tally: Record<string, number>, key: string): void {
  tally[key] = (tally[key] ?? 0) + 1;
}

serveCommands<SoakLoadCommands>({}, { ...statsHandlers(), run });
