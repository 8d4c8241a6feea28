import { cpus, freemem, totalmem, tmpdir, type as osType, release } from 'node:os';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, type RedisServer } from '../test/support/servers/redis.js';
import type { BridgeCommands } from './bridge-target.js';
import type { BridgeTargetOptions } from './bridge-config.js';
import { latencyChartSvg } from './chart.js';
import { basicAuthorization, loginShareBody, REALM_ID, REALM_SECRET, tokenRequestBody, userName } from './fixtures.js';
import type { IdpCommands } from './idp.js';
import { canPin, pinProcess, Worker, type CommandMap } from './ipc.js';
import type { LoadCommands, LoadResult, Target } from './loadgen.js';
import type { ProcessStats, StatsCommands } from './process-stats.js';
import { Report, type Check } from './report.js';
import { summarize } from './stats.js';
import { measureNodeFloor, measureStartup, type StartupTiming } from './startup.js';

/**
 * `npm run bench` — the bridge (C) against the IdP alone (A) and a minimal plain-Node handler (B), side by side
 * in one run, loopback only, bounded in time. `npm run bench -- --smoke` is the few-seconds version CI runs.
 * See docs/benchmarks.md.
 */
const HELP = `Usage: npm run bench [-- options]

  --smoke            a few seconds, tiny load: checks that every part still works (CI)
  --no-pin           do not pin processes to CPUs with taskset
  --rounds N         saturation / latency rounds per target (default 3 / 2)
  --connections N    saturation connections (default 200)
  --rate N           fixed offered load for the latency measurement, logins/s (default 500)
  --duration S       seconds measured per saturation round (default 5)
  --out DIR          where the SVG chart goes (default docs/; with --smoke a temp dir)
  --json FILE        also write every number as JSON
  --baseline-client  http | undici: the upstream client of target B (default http)
  --only LIST        run only these measurements, e.g. --only 1,2 (5 needs 1)
  --profile DIR      write V8 CPU profiles of targets B and C (node --cpu-prof) into DIR
`;

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..', '..'); // node_modules/.cache/loginshare-bench/bench → repo
const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'string' },
    'baseline-client': { type: 'string', default: 'http' },
    profile: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const smoke = flags.smoke;
const num = (value: string | undefined, fallback: number): number => (value === undefined ? fallback : Number(value));
const plan = {
  saturation: {
    rounds: num(flags.rounds, smoke ? 1 : 3),
    connections: num(flags.connections, smoke ? 16 : 200),
    warmupMs: smoke ? 300 : 2_000,
    durationMs: num(flags.duration, smoke ? 0.6 : 5) * 1000,
  },
  latency: {
    rounds: num(flags.rounds, smoke ? 1 : 2),
    rate: num(flags.rate, smoke ? 100 : 500),
    warmupMs: smoke ? 300 : 2_000,
    durationMs: smoke ? 700 : 8_000,
  },
  realistic: { tokenDelayMs: 80, graphDelayMs: 60, groups: 250, rate: smoke ? 25 : 20, durationMs: smoke ? 600 : 6_000 },
  cache: { logins: smoke ? 400 : 10_000, users: smoke ? 40 : 500, connections: smoke ? 8 : 50 },
  startups: smoke ? 1 : 5,
  users: 500,
};
const only = new Set((flags.only ?? '1,2,3,4,5,6').split(',').map((n) => Number(n.trim())));
const runs = (measurement: number): boolean => only.has(measurement);
const outDir = flags.out ? resolve(flags.out) : smoke ? undefined : join(repoRoot, 'docs');
const pin = !flags['no-pin'] && cpus().length >= 2 && canPin();
/** The target under test gets CPU 1 to itself; the load generator and the IdP (when not the target) share CPU 0. */
const CPU_TARGET = '1';
const CPU_REST = '0';
const CPU_ANY = '0,1';

const scratch = await mkdtemp(join(tmpdir(), 'lsb-bench-'));
const workers: Array<Worker<StatsCommands>> = [];
let redis: RedisServer | undefined;
const report = new Report();
const deadline = setTimeout(() => {
  process.stderr.write('bench: time limit reached, stopping\n');
  void shutdown().finally(() => process.exit(2));
}, smoke ? 120_000 : 20 * 60_000);
deadline.unref();

async function shutdown(): Promise<void> {
  await Promise.allSettled(workers.map((w) => w.stop()));
  await redis?.stop().catch(() => undefined);
  await rm(scratch, { recursive: true, force: true });
}

async function start<C extends StatsCommands & CommandMap<C>>(name: string, script: string, args: string[], cpusFor: string, execArgv: string[] = []): Promise<Worker<C>> {
  const worker = await Worker.start<C>(name, join(here, script), args, { cpus: pin ? cpusFor : undefined, execArgv });
  workers.push(worker as unknown as Worker<StatsCommands>);
  return worker;
}

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

try {
  report.machine({
    node: process.version,
    os: `${osType()} ${release()}`,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} free)`,
    pinning: pin ? `target on CPU ${CPU_TARGET}; load generator and IdP on CPU ${CPU_REST}` : 'none (the OS schedules all processes on all CPUs)',
    mode: smoke ? 'smoke (tiny load: numbers are not meaningful)' : 'full',
  });

  log('starting the IdP, target B, the load generator');
  const idp = await start<IdpCommands>('idp', 'idp.js', [], CPU_REST);
  const issuer = String(idp.info['issuer']);
  const graphBase = String(idp.info['graphBase']);
  const bridgeOptions = (extra: Partial<BridgeTargetOptions> = {}): BridgeTargetOptions => ({
    dir: scratch,
    issuer,
    graphBase,
    groups: 'token',
    ...extra,
  });

  // 6. Start-up first, while nothing else is busy.
  if (runs(6)) {
    log('measurement 6: start-up');
    const cliMain = join(here, '..', 'src', 'cli', 'main.js');
    const startups: StartupTiming[] = [];
    for (let i = 0; i < plan.startups; i++) startups.push(await measureStartup(cliMain, bridgeOptions()));
    report.startup(startups, await measureNodeFloor());
  }

  const profiling = (name: string): string[] =>
    flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(flags.profile)}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const baseline = await start<StatsCommands>('target B', 'baseline.js', [issuer, flags['baseline-client'] ?? 'http'], CPU_REST, profiling('B'));
  const bridgeDir = join(scratch, 'c');
  await mkdir(bridgeDir);
  const bridge = await start<BridgeCommands>('target C', 'bridge-target.js', [JSON.stringify(bridgeOptions({ dir: bridgeDir }))], CPU_REST, ['--expose-gc', ...profiling('C')]);
  const loadgen = await start<LoadCommands>('load generator', 'loadgen.js', [], CPU_REST);

  const users = Array.from({ length: plan.users }, (_, i) => userName(i));
  const targetA = (names: string[] = users): Target => ({
    origin: issuer,
    path: '/token',
    headers: { authorization: basicAuthorization(), 'content-type': 'application/x-www-form-urlencoded' },
    bodies: names.map((u) => tokenRequestBody(u)),
    expect: '"id_token"',
  });
  const loginShareTarget = (port: unknown, names: string[] = users): Target => ({
    origin: `http://127.0.0.1:${String(port)}`,
    path: `/loginshare/${REALM_ID}/user?key=${REALM_SECRET}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    bodies: names.map((u, i) => loginShareBody(u, i)),
    expect: '<result>1</result>',
  });
  const targetB = (names?: string[]) => loginShareTarget(baseline.info['port'], names);
  const targetC = (names?: string[]) => loginShareTarget(bridge.info['port'], names);

  // Every target must answer correctly before it is timed.
  log('checking that A, B and C answer a login correctly');
  for (const [name, target] of [['A', targetA()], ['B', targetB()], ['C', targetC()]] as const) {
    const r = await loadgen.call('fixed', { target: { ...target, bodies: target.bodies.slice(0, 3) }, connections: 1 });
    if (r.failures > 0) throw new Error(`target ${name} answered wrongly: ${r.firstFailure ?? ''}`);
  }
  const wrong = await loadgen.call('fixed', {
    target: { ...targetC(), bodies: ['username=u1&password=wrong&ipaddress=203.0.113.1'], expect: '<result>0</result>' },
    connections: 1,
  });
  if (wrong.failures > 0) throw new Error(`target C accepted a wrong password: ${wrong.firstFailure ?? ''}`);

  const memoryBefore = await bridge.call('stats', { gc: true });

  /** The process whose CPU serves the target's requests (A's is the IdP itself). */
  type Subject = { name: 'A' | 'B' | 'C'; worker: Worker<StatsCommands>; target: () => Target };
  const subjects: Subject[] = [
    { name: 'A', worker: idp as unknown as Worker<StatsCommands>, target: () => targetA() },
    { name: 'B', worker: baseline as unknown as Worker<StatsCommands>, target: () => targetB() },
    { name: 'C', worker: bridge as unknown as Worker<StatsCommands>, target: () => targetC() },
  ];
  const onTargetCpu = (subject: Subject): void => {
    if (!pin) return;
    for (const s of subjects) pinProcess(s.worker.pid, s === subject ? CPU_TARGET : CPU_REST);
  };

  /** Runs `load` and reads the subject's and the IdP's CPU at the start and end of its measured window. */
  async function timed(subject: Subject, warmupMs: number, durationMs: number, load: Promise<LoadResult>) {
    const reads = async (): Promise<[ProcessStats, ProcessStats]> => Promise.all([subject.worker.call('stats', {}), idp.call('stats', {})]);
    await sleep(warmupMs);
    const [t0, i0] = await reads();
    await subject.worker.call('resetPeak', null);
    await sleep(durationMs);
    const [t1, i1] = await reads();
    const result = await load;
    if (result.failures > 0) throw new Error(`target ${subject.name}: ${result.failures} failed logins, e.g. ${result.firstFailure ?? ''}`);
    return {
      result,
      cpuPerLoginMicros: (t1.cpuMicros - t0.cpuMicros) / Math.max(1, result.requests),
      busy: (t1.cpuMicros - t0.cpuMicros) / 1000 / durationMs,
      idpCpuPerLoginMicros: (i1.cpuMicros - i0.cpuMicros) / Math.max(1, result.requests),
      peakRssBytes: t1.peakRssBytes,
    };
  }

  // 1. Saturation, rounds interleaved A, B, C (rotated) so drift on a shared machine hits all three alike.
  log(`measurement 1: saturation, ${plan.saturation.connections} connections, ${plan.saturation.rounds} rounds`);
  const saturation = new Map<string, Array<Awaited<ReturnType<typeof timed>>>>();
  const memoryAfterRounds: ProcessStats[] = [];
  for (let round = 0; round < (runs(1) || runs(5) ? plan.saturation.rounds : 0); round++) {
    const order = subjects.slice(round % 3).concat(subjects.slice(0, round % 3));
    for (const subject of order) {
      onTargetCpu(subject);
      const { warmupMs, durationMs, connections } = plan.saturation;
      const load = loadgen.call('closed', { target: subject.target(), connections, warmupMs, durationMs });
      const m = await timed(subject, warmupMs, durationMs, load);
      saturation.set(subject.name, [...(saturation.get(subject.name) ?? []), m]);
      log(`  round ${round + 1} ${subject.name}: ${m.result.perSecond.toFixed(0)} logins/s`);
      if (subject.name === 'C') memoryAfterRounds.push(await bridge.call('stats', { gc: true }));
    }
  }
  if (runs(1)) report.saturation(plan.saturation, saturation);

  // 2. Latency at a fixed offered load (open loop).
  log(`measurement 2: latency at ${plan.latency.rate}/s, open loop`);
  const latency = new Map<string, number[]>();
  for (let round = 0; round < (runs(2) ? plan.latency.rounds : 0); round++) {
    for (const subject of round % 2 ? [...subjects].reverse() : subjects) {
      onTargetCpu(subject);
      const { warmupMs, durationMs, rate } = plan.latency;
      const r = await loadgen.call('open', { target: subject.target(), ratePerSecond: rate, connections: 64, warmupMs, durationMs });
      if (r.failures > 0) throw new Error(`target ${subject.name}: ${r.failures} failed logins, e.g. ${r.firstFailure ?? ''}`);
      latency.set(subject.name, [...(latency.get(subject.name) ?? []), ...(r.samples ?? [])]);
      log(`  round ${round + 1} ${subject.name}: p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms, scheduler lag ≤ ${(r.schedulerLagMaxMs ?? 0).toFixed(2)} ms`);
    }
  }
  if (runs(2)) report.latency(plan.latency, latency);
  if (outDir && runs(2)) {
    await mkdir(outDir, { recursive: true });
    const file = join(outDir, 'benchmark-latency.svg');
    const pinned = pin ? ', target pinned to its own CPU' : '';
    await writeFile(
      file,
      latencyChartSvg(
        `Login latency at ${plan.latency.rate} logins/s (open loop)`,
        `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}${pinned}; ${new Date().toISOString().slice(0, 10)}`,
        [
          { label: 'A  IdP alone', color: '#2b8a3e', samples: latency.get('A') ?? [] },
          { label: 'B  plain Node (limit)', color: '#1c7ed6', samples: latency.get('B') ?? [] },
          { label: 'C  the bridge', color: '#e8590c', samples: latency.get('C') ?? [] },
        ],
      ),
    );
    report.note(`Chart: ${file}`);
  }
  const memoryAfterLatency = await bridge.call('stats', { gc: true });
  // The rest is bound by (simulated) network latency, not CPU: let the OS place everything again.
  if (pin) for (const w of [...subjects.map((s) => s.worker), loadgen]) pinProcess(w.pid, CPU_ANY);
  if (runs(5) && memoryAfterRounds.length > 0) report.memory(memoryBefore, saturation.get('C') ?? [], memoryAfterRounds, memoryAfterLatency, saturation.get('B') ?? []);

  // 3. Realistic IdP latency; 4. group-cache effect. Both need the Graph group resolver.
  const graphGroups = await graphResolverAvailable(bridgeOptions);
  if (runs(3)) {
  await idp.call('configure', { tokenDelayMs: plan.realistic.tokenDelayMs, graphDelayMs: plan.realistic.graphDelayMs, overage: graphGroups === true, groupCount: plan.realistic.groups });
  log(`measurement 3: IdP answering tokens in ${plan.realistic.tokenDelayMs} ms${graphGroups === true ? `, Graph pages in ${plan.realistic.graphDelayMs} ms` : ''}`);
  const warmUsers = users.slice(0, 20);
  const coldUsers = Array.from({ length: 400 }, (_, i) => userName(100_000 + i));
  const realisticLoad = (target: Target) =>
    loadgen.call('open', { target, ratePerSecond: plan.realistic.rate, connections: 64, warmupMs: 0, durationMs: plan.realistic.durationMs });
  // The IdP signs each user's token once: have it do that for the "cold" users now, so cold measures our side.
  await loadgen.call('fixed', { target: targetA(coldUsers), connections: 8 });
  let realisticBridge: Worker<BridgeCommands> = bridge;
  if (graphGroups === true) {
    const dir = join(scratch, 'c-graph');
    await mkdir(dir);
    realisticBridge = await start<BridgeCommands>('target C (Graph groups)', 'bridge-target.js', [JSON.stringify(bridgeOptions({ dir, groups: 'graph' }))], CPU_ANY);
  }
  const cTarget = (names: string[]) => loginShareTarget(realisticBridge.info['port'], names);
  const tokenRoundTrip = await realisticLoad(targetA(warmUsers));
  const baselineRealistic = await realisticLoad(targetB(warmUsers));
  await loadgen.call('fixed', { target: cTarget(warmUsers), connections: 4 }); // fills the group cache
  const warm = await realisticLoad(cTarget(warmUsers));
  const cold = await realisticLoad(cTarget(coldUsers));
  for (const [name, r] of [['A', tokenRoundTrip], ['B', baselineRealistic], ['C warm', warm], ['C cold', cold]] as const) {
    if (r.failures > 0) throw new Error(`realistic ${name}: ${r.failures} failed logins, e.g. ${r.firstFailure ?? ''}`);
  }
  report.realistic(plan.realistic, { tokenRoundTrip, baseline: baselineRealistic, warm, cold, graphGroups });
  }

  // 4. Cache effect: upstream group calls per login, in memory and with Redis.
  if (runs(4)) {
  await idp.call('configure', { tokenDelayMs: 0, graphDelayMs: 0, overage: graphGroups === true });
  const cacheRows: Parameters<Report['cache']>[1] = [];
  if (graphGroups !== true) {
    cacheRows.push({ store: 'memory', skipped: graphGroups });
    cacheRows.push({ store: 'redis', skipped: graphGroups });
  } else {
    const cacheUsers = Array.from({ length: plan.cache.users }, (_, i) => userName(200_000 + i));
    await loadgen.call('fixed', { target: targetA(cacheUsers), connections: 8 }); // IdP-side token signing, as above
    const sequence = Array.from({ length: plan.cache.logins }, (_, i) => cacheUsers[i % cacheUsers.length]!);
    for (const store of ['memory', 'redis'] as const) {
      if (store === 'redis') {
        try {
          redis = await startRedis();
        } catch (err) {
          cacheRows.push({ store, skipped: `SKIPPED: could not start redis-server (${err instanceof Error ? err.message : String(err)})` });
          continue;
        }
      }
      const dir = join(scratch, `cache-${store}`);
      await mkdir(dir);
      const target = await start<BridgeCommands>(
        `target C (${store})`,
        'bridge-target.js',
        [JSON.stringify(bridgeOptions({ dir, groups: 'graph', ...(redis && store === 'redis' ? { redisUrl: redis.url } : {}) }))],
        CPU_ANY,
      );
      await idp.call('counters', { reset: true });
      const r = await loadgen.call('fixed', { target: loginShareTarget(target.info['port'], sequence), connections: plan.cache.connections });
      const counters = await idp.call('counters', {});
      const cacheMetric = await target.call('groupCache', null);
      cacheRows.push({ store, logins: r.requests, failures: r.failures, users: plan.cache.users, counters, cacheMetric, perSecond: r.perSecond });
      await target.stop();
    }
  }
  report.cache(plan.cache, cacheRows);
  }

  process.stdout.write(report.render());
  if (flags.json) await writeFile(resolve(flags.json), JSON.stringify(report.data, null, 2));
  const met = report.checks.filter((c: Check) => c.status === 'met').length;
  const missed = report.checks.filter((c: Check) => c.status === 'missed').length;
  log(`targets: ${met} met, ${missed} missed, ${report.checks.length - met - missed} not measured${smoke ? ' (smoke run: targets are informational)' : ''}`);
  process.exitCode = 0;
} catch (err) {
  process.stderr.write(`bench: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await shutdown();
  clearTimeout(deadline);
}

/** True when the bridge can be configured with a Graph group lookup; otherwise the reason it cannot. */
async function graphResolverAvailable(options: (extra?: Partial<BridgeTargetOptions>) => BridgeTargetOptions): Promise<true | string> {
  const { bridgeConfigYaml } = await import('./bridge-config.js');
  try {
    bridgeConfigYaml(options({ groups: 'graph' }));
    return true;
  } catch (err) {
    return `SKIPPED: ${err instanceof Error ? err.message : String(err)}`;
  }
}
