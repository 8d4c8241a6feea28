import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { freeLoopbackPort } from '../../test/support/servers/free-port.js';
import { startRedis, type RedisServer } from '../../test/support/servers/redis.js';
import type { BridgeCommands } from '../bridge-target.js';
import type { BridgeTargetOptions } from '../bridge-config.js';
import { Worker, type CommandMap } from '../ipc.js';
import { writeMarkdown } from '../markdown.js';
import type { StatsCommands } from '../process-stats.js';
import { summarize } from '../stats.js';
import { soakChartSvg, type PhaseSeries } from './chart.js';
import type { SoakIdpOptions } from './idp.js';
import type { SoakLoadCommands, SoakLoadResult } from './load.js';

/**
 * `npm run soak` — two bridge replicas sharing one Redis, a local IdP, and a Kayako stand-in keeping 200 logins in
 * flight: first undisturbed, then while Redis is killed and started again, then while the IdP is. Loopback only,
 * bounded in time. Every request must get LoginShare XML (refusals count, lost answers fail the run).
 * `--short` is the CI version (well under 90 s); `--markdown docs/operations.md` writes the results between the
 * file's SOAK markers and the chart beside it.
 */
const HELP = `Usage: npm run soak [-- options]

  --short            20 s per phase instead of 60 (what CI runs); exits 1 on a lost answer, as the full run does
  --connections N    logins in flight at all times (default 200)
  --duration S       seconds per phase (default 60, or 20 with --short)
  --markdown FILE    write the results between <!-- SOAK --> and <!-- /SOAK --> in FILE, and the chart as
                     soak.svg beside it (e.g. --markdown docs/operations.md)
  --chart FILE       write the chart (SVG) here instead
  --json FILE        also write every number as JSON
  --keep             keep the scratch directory (configs, the replicas' logs and audit files)
`;

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = resolve(here, '..');
const { values: flags } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    connections: { type: 'string' },
    duration: { type: 'string' },
    markdown: { type: 'string' },
    chart: { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const connections = Number(flags.connections ?? 200);
const phaseSeconds = Number(flags.duration ?? (flags.short ? 20 : 60));
const USERS = 2_000;
/** When, within a fault phase, the server goes away and comes back. */
const faultAt = { kill: Math.round(phaseSeconds / 3), restart: Math.round((2 * phaseSeconds) / 3) };

const log = (line: string): void => void process.stdout.write(`[soak] ${line}\n`);
const workers: Worker<StatsCommands>[] = [];
let redis: RedisServer | undefined;
let scratch: string | undefined;

async function cleanUp(): Promise<void> {
  await Promise.allSettled(workers.map((worker) => worker.stop()));
  await redis?.stop().catch(() => undefined);
  if (scratch && !flags.keep) await rm(scratch, { recursive: true, force: true });
  else if (scratch) log(`scratch directory kept: ${scratch}`);
}

async function start<C extends CommandMap<C>>(name: string, script: string, args: string[], stdoutFile?: string): Promise<Worker<C>> {
  const worker = await Worker.start<C>(name, script, args, { ...(stdoutFile ? { stdoutFile } : {}), execArgv: ['--enable-source-maps'] });
  workers.push(worker as unknown as Worker<StatsCommands>);
  return worker;
}

interface PhaseResult {
  name: string;
  load: SoakLoadResult;
  events: { second: number; label: string }[];
  rss: { replica: string; second: number; mb: number }[];
}

async function main(): Promise<number> {
  scratch = await mkdtemp(join(tmpdir(), 'lsb-soak-'));
  log(`${flags.short ? 'short' : 'full'} soak: ${connections} logins in flight, ${phaseSeconds} s per phase, scratch ${scratch}`);

  redis = await startRedis();
  const redisAt = { port: redis.port, password: redis.password };
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(6).toString('hex');
  const idpOptions: SoakIdpOptions = {
    port: await freeLoopbackPort(),
    privateJwk: { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256' },
    publicJwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' },
  };
  const startIdp = (): Promise<Worker<StatsCommands>> => start<StatsCommands>('idp', join(here, 'idp.js'), [JSON.stringify(idpOptions)]);
  let idp = await startIdp();
  const issuer = `http://127.0.0.1:${idpOptions.port}`;

  const replicas: { name: string; worker: Worker<BridgeCommands>; origin: string }[] = [];
  for (const name of ['replica 1', 'replica 2']) {
    const dir = join(scratch, name.replace(' ', '-'));
    await mkdir(dir);
    const options: BridgeTargetOptions = { dir, issuer, graphBase: `${issuer}/graph/v1.0`, groups: 'token', redisUrl: redis.url };
    const worker = await start<BridgeCommands>(name, join(benchDir, 'bridge-target.js'), [JSON.stringify(options)], join(dir, 'bridge.log'));
    replicas.push({ name, worker, origin: `http://127.0.0.1:${String(worker.info['port'])}` });
  }
  const load = await start<SoakLoadCommands>('load', join(here, 'load.js'), []);
  log(`IdP ${issuer}, Redis 127.0.0.1:${redis.port}, ${replicas.map((r) => `${r.name} ${r.origin}`).join(', ')}`);

  const phase = async (name: string, faults: { at: number; label: string; act: () => Promise<void> }[]): Promise<PhaseResult> => {
    log(`${name}: ${phaseSeconds} s`);
    const rss: PhaseResult['rss'] = [];
    const wallEvents: { at: number; label: string }[] = [];
    const begun = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await Promise.all(replicas.map(async (replica) => {
          const stats = await replica.worker.call('stats', {}).catch(() => undefined);
          if (stats) rss.push({ replica: replica.name, second: (Date.now() - begun) / 1000, mb: stats.rssBytes / 1e6 });
        }));
        await sleep(1_000);
      }
    })();
    const running = load.call('run', { origins: replicas.map((r) => r.origin), connections, durationMs: phaseSeconds * 1000, users: USERS });
    for (const fault of faults) {
      await sleep(Math.max(0, begun + fault.at * 1000 - Date.now()));
      wallEvents.push({ at: Date.now(), label: fault.label });
      await fault.act();
      log(`  ${fault.label} at ${((Date.now() - begun) / 1000).toFixed(1)} s`);
    }
    const result = await running;
    sampling = false;
    await sampler;
    const offset = (begun - result.startedAt) / 1000;
    return {
      name,
      load: result,
      events: wallEvents.map((event) => ({ second: (event.at - result.startedAt) / 1000, label: event.label })),
      rss: rss.map((point) => ({ ...point, second: point.second + offset })),
    };
  };

  // Unmeasured: the replicas' JIT and JWKS, and the IdP's first signature per user, are start-up, not soak.
  log('warm-up: 3 s');
  await load.call('run', { origins: replicas.map((r) => r.origin), connections, durationMs: 3_000, users: USERS });

  const phases: PhaseResult[] = [];
  phases.push(await phase('steady load', []));
  // Redis first: after the IdP comes back its circuit breaker may keep refusing for a while, which must not
  // spill into another phase.
  phases.push(await phase('Redis killed and restarted', [
    { at: faultAt.kill, label: 'Redis killed', act: async () => {
      await redis?.stop();
    } },
    { at: faultAt.restart, label: 'Redis restarted', act: async () => {
      redis = await startRedis(redisAt);
    } },
  ]));

  phases.push(await phase('IdP killed and restarted', [
    { at: faultAt.kill, label: 'IdP killed', act: async () => {
      idp.child.kill('SIGKILL');
      await idp.stop();
    } },
    { at: faultAt.restart, label: 'IdP restarted', act: async () => {
      idp = await startIdp();
    } },
  ]));
  const report = summarizeRun(phases);
  for (const line of report.consoleLines) log(line);
  const svg = soakChartSvg(
    `Soak: ${connections} concurrent logins through two replicas sharing Redis`,
    `${phaseSeconds} s per phase, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}`,
    report.series,
  );
  const chartFile = flags.chart ?? (flags.markdown ? join(dirname(flags.markdown), 'soak.svg') : undefined);
  if (chartFile) {
    await writeFile(chartFile, svg);
    log(`chart written to ${chartFile}`);
  }
  if (flags.markdown) {
    await writeMarkdown(flags.markdown, report.markdown(chartFile ? relative(dirname(flags.markdown), chartFile) : undefined), ['<!-- SOAK -->', '<!-- /SOAK -->']);
    log(`results written to ${flags.markdown}`);
  }
  if (flags.json) await writeFile(flags.json, JSON.stringify({ connections, phaseSeconds, phases }, null, 2));
  return report.lost === 0 && report.everyPhaseAccepted ? 0 : 1;
}

const mb = (value: number): string => `${value.toFixed(0)} MB`;
const ms = (value: number): string => (Number.isNaN(value) ? '–' : value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`);

function summarizeRun(phases: PhaseResult[]) {
  let lost = 0;
  let everyPhaseAccepted = true;
  const consoleLines: string[] = [];
  const rows: string[] = [];
  const windows: string[] = [];
  const series: PhaseSeries[] = [];
  const tallies: string[] = [];
  for (const phase of phases) {
    const seconds = phase.load.seconds;
    const total = (key: 'accepted' | 'refused' | 'lost'): number => seconds.reduce((sum, s) => sum + s[key], 0);
    const accepted = total('accepted');
    const refused = total('refused');
    const phaseLost = total('lost');
    lost += phaseLost;
    if (accepted === 0) everyPhaseAccepted = false;
    const latency = summarize(seconds.flatMap((s) => s.latencies));
    const requests = accepted + refused + phaseLost;
    const perReplica = ['replica 1', 'replica 2'].map((name) => {
      const points = phase.rss.filter((p) => p.replica === name).map((p) => p.mb);
      return points.length ? `${mb(points[0]!)} → ${mb(points[points.length - 1]!)} (peak ${mb(Math.max(...points))})` : '–';
    });
    const restart = phase.events.find((e) => /restarted/.test(e.label));
    // From the restart to the first second whose answers were all accepted.
    let recovery = '–';
    if (restart && refused + phaseLost === 0) recovery = 'none refused';
    else if (restart) {
      const from = Math.floor(restart.second);
      const back = seconds.findIndex((s, i) => i >= from && s.accepted > 0 && s.refused === 0 && s.lost === 0);
      recovery = back < 0 ? 'not within the phase' : `${Math.max(0, back + 1 - restart.second).toFixed(0)} s`;
    }
    rows.push(`| ${phase.name} | ${requests} | ${(requests / seconds.length).toFixed(0)} | ${accepted} | ${refused} | **${phaseLost}** | ${ms(latency.p50)} | ${ms(latency.p99)} | ${ms(latency.max)} | ${recovery} | ${perReplica.join('<br>')} |`);
    consoleLines.push(`${phase.name}: ${requests} logins, ${accepted} accepted, ${refused} refused, ${phaseLost} lost; p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)}; back after restart: ${recovery}`);
    const messages = [...Object.entries(phase.load.refusals).map(([m, n]) => `refused ×${n}: “${m}”`), ...Object.entries(phase.load.losses).map(([m, n]) => `lost ×${n}: ${m}`)];
    if (messages.length) tallies.push(`- ${phase.name}: ${messages.join('; ')}`);

    // Five-second windows: the percentiles over time.
    windows.push(`| ${phase.name} | | | | | |`);
    for (let from = 0; from < seconds.length; from += 5) {
      const slice = seconds.slice(from, from + 5);
      const w = summarize(slice.flatMap((s) => s.latencies));
      const answers = slice.reduce((sum, s) => sum + s.accepted + s.refused + s.lost, 0);
      const bad = slice.reduce((sum, s) => sum + s.refused, 0);
      const gone = slice.reduce((sum, s) => sum + s.lost, 0);
      const events = phase.events.filter((e) => e.second >= from && e.second < from + 5).map((e) => e.label).join(', ');
      windows.push(`| ${from}–${from + slice.length} s${events ? ` (${events})` : ''} | ${(answers / slice.length).toFixed(0)} | ${answers ? ((100 * bad) / answers).toFixed(1) : '0.0'} % | ${gone} | ${ms(w.p50)} | ${ms(w.p99)} |`);
    }
    series.push({
      title: phase.name,
      seconds: seconds.map((s) => {
        const sum = summarize(s.latencies);
        const answers = s.accepted + s.refused + s.lost || 1;
        return { p50: sum.p50, p99: sum.p99, refusedShare: s.refused / answers, lostShare: s.lost / answers };
      }),
      events: phase.events,
      rss: [['replica 1', '#2ca02c'], ['replica 2', '#8c564b']].map(([name, color]) => ({
        label: name!, color: color!, points: phase.rss.filter((p) => p.replica === name).map((p) => ({ second: p.second, mb: p.mb })),
      })),
    });
  }
  const markdown = (chart: string | undefined): string => [
    `Measured with \`npm run soak${flags.short ? ' -- --short' : ''}\`: ${connections} logins in flight, ${phaseSeconds} s per phase, faults at ${faultAt.kill} s (killed) and ${faultAt.restart} s (started again); ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}.`,
    '',
    '| phase | logins | per s | accepted | refused | lost | p50 | p99 | max | all accepted again after the restart | RSS per replica (start → end) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    ...(tallies.length ? ['What the refused (and any lost) logins were answered:', '', ...tallies, ''] : []),
    ...(chart ? [`![Latency, refusals and memory over the soak](${chart})`, ''] : []),
    '<details><summary>By five-second window</summary>',
    '',
    '| window | answers per s | refused | lost | p50 | p99 |',
    '|---|---:|---:|---:|---:|---:|',
    ...windows,
    '',
    '</details>',
  ].join('\n');
  return { lost, everyPhaseAccepted, consoleLines, markdown, series };
}

const abort = async (): Promise<void> => {
  await cleanUp();
  process.exit(130);
};
process.once('SIGINT', () => void abort());
process.once('SIGTERM', () => void abort());

let exitCode = 1;
try {
  exitCode = await main();
  if (exitCode !== 0) log('FAILED: lost answers, or a phase in which no login was accepted');
} catch (err) {
  log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);
