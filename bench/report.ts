import type { IdpCounters } from './idp.js';
import type { LoadResult } from './loadgen.js';
import type { ProcessStats } from './process-stats.js';
import { median, summarize, type LatencySummary } from './stats.js';
import type { StartupTiming } from './startup.js';

/** The results as a Markdown report (pasted into docs/benchmarks.md) and as JSON; targets are checked here. */
export interface Check {
  measurement: string;
  target: string;
  measured: string;
  status: 'met' | 'missed' | 'not measured';
}

export interface SaturationRound {
  result: LoadResult;
  cpuPerLoginMicros: number;
  busy: number;
  idpCpuPerLoginMicros: number;
  peakRssBytes: number;
}

export type CacheRow =
  | { store: string; skipped: string }
  | { store: string; logins: number; failures: number; users: number; counters: IdpCounters; cacheMetric: { hit: number; miss: number }; perSecond: number };

const NAMES: Record<string, string> = {
  A: 'A — IdP alone',
  B: 'B — plain Node (the limit)',
  N: 'N — the named stack, naive',
  C: 'C — the bridge',
};
const TARGETS = ['A', 'B', 'N', 'C'] as const;
/** The saturation targets: C/B ≥ 0.4 (what the libraries may cost against the limit), C/N ≥ 1 (the bridge's features cost less than careful use of the libraries saves). */
const MIN_CB = 0.4;
const MIN_CN = 1.0;
const ratio = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;

export class Report {
  readonly checks: Check[] = [];
  readonly data: Record<string, unknown> = {};
  private readonly sections: Array<{ order: number; text: string }> = [];
  private readonly notes: string[] = [];
  private readonly names: Record<string, string> = { ...NAMES };
  /** What the one-table summary (`summary()`) shows, filled in by the measurements that ran. */
  private readonly digest: {
    machine?: Record<string, string>;
    saturation?: Record<string, { perSecond: number; cpu: number }>;
    ratios?: { cb: number; cn: number };
    latency?: Record<string, LatencySummary>;
    extra?: { p50: number; p99: number };
    peakRss?: Record<string, number>;
    rate?: number;
    saml?: { p50: number; p99: number; rate: number };
  } = {};

  /** `--calibrate`: B is a second copy of the bridge, so C/B judges the harness, not the bridge. */
  calibration(): void {
    this.names['B'] = 'B — a second copy of the bridge (calibration)';
    this.note('Calibration run: B is a second copy of the bridge, identical to C. C/B measures the harness (ideally 1.00), and the targets below say nothing about the bridge.');
  }

  private check(measurement: string, target: string, measured: string, ok: boolean | undefined): void {
    this.checks.push({ measurement, target, measured, status: ok === undefined ? 'not measured' : ok ? 'met' : 'missed' });
  }

  private add(order: number, text: string): void {
    this.sections.push({ order, text });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  machine(info: Record<string, string>): void {
    this.data['machine'] = info;
    this.digest.machine = info;
    this.add(0, ['## Machine', '', ...Object.entries(info).map(([k, v]) => `- ${k}: ${v}`)].join('\n'));
  }

  saturation(plan: { rounds: number; connections: number; durationMs: number; roundsWithA: number }, rounds: Map<string, SaturationRound[]>): void {
    const rows = TARGETS.map((name) => {
      const list = rounds.get(name) ?? [];
      const rates = list.map((r) => r.result.perSecond);
      return {
        name,
        perSecond: median(rates),
        min: Math.min(...rates),
        max: Math.max(...rates),
        cpu: median(list.map((r) => r.cpuPerLoginMicros)),
        busy: median(list.map((r) => r.busy)),
        idpCpu: median(list.map((r) => r.idpCpuPerLoginMicros)),
        p99: median(list.map((r) => r.result.latency.p99)),
      };
    });
    const per = (name: string) => (rounds.get(name) ?? []).map((r) => r.result.perSecond);
    const roundRatios = (x: string, y: string) => per(x).map((v, i) => v / (per(y)[i] ?? Number.NaN));
    const cb = median(roundRatios('C', 'B'));
    const cn = median(roundRatios('C', 'N'));
    const middleHalf = (values: number[]): string => {
      const sorted = [...values].sort((x, y) => x - y);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
      return `${q(0.25).toFixed(2)} – ${q(0.75).toFixed(2)}`;
    };
    const row = (name: string) => rows.find((r) => r.name === name);
    const cpuRatio = (row('B')?.cpu ?? Number.NaN) / (row('C')?.cpu ?? Number.NaN);
    const perA = (name: string) => ratio((row(name)?.perSecond ?? Number.NaN) / (row('A')?.perSecond ?? Number.NaN));
    this.data['saturation'] = { rows, ratioCB: cb, ratioCN: cn, roundRatiosCB: roundRatios('C', 'B'), roundRatiosCN: roundRatios('C', 'N'), cpuRatioBC: cpuRatio };
    this.digest.saturation = Object.fromEntries(rows.map((r) => [r.name, { perSecond: r.perSecond, cpu: r.cpu }]));
    this.digest.ratios = { cb, cn };
    this.check('1 saturation', `C/B ≥ ${MIN_CB}`, cb.toFixed(3), cb >= MIN_CB);
    this.check('1 saturation', `C/N ≥ ${MIN_CN.toFixed(1)}`, cn.toFixed(3), cn >= MIN_CN);
    this.add(1, 
      [
        `## 1. Saturation throughput (${plan.connections} connections; ${plan.rounds} rounds of B, N and C back to back, ${plan.durationMs / 1000} s each, order rotating; A in the first ${plan.roundsWithA}; medians)`,
        '',
        '| target | logins/s | (min – max) | target CPU µs / login | target CPU busy | IdP CPU µs / login | p99 ms |',
        '|---|---:|---:|---:|---:|---:|---:|',
        ...rows.map(
          (r) =>
            `| ${this.names[r.name]} | ${r.perSecond.toFixed(0)} | ${r.min.toFixed(0)} – ${r.max.toFixed(0)} | ${r.cpu.toFixed(0)} | ${(r.busy * 100).toFixed(0)} % | ${r.name === 'A' ? '—' : r.idpCpu.toFixed(0)} | ${ms(r.p99)} |`,
        ),
        '',
        `**C/B = ${cb.toFixed(3)}** (median of the per-round ratios ${roundRatios('C', 'B').map((v) => v.toFixed(2)).join(', ')}; ` +
          `middle half ${middleHalf(roundRatios('C', 'B'))}; target ≥ ${MIN_CB}) · ` +
          `**C/N = ${cn.toFixed(3)}** (per round ${roundRatios('C', 'N').map((v) => v.toFixed(2)).join(', ')}; ` +
          `middle half ${middleHalf(roundRatios('C', 'N'))}; target ≥ ${MIN_CN.toFixed(1)}) · ` +
          `CPU per login B/C = ${cpuRatio.toFixed(2)} · B/A = ${perA('B')} · N/A = ${perA('N')} · C/A = ${perA('C')}`,
      ].join('\n'),
    );
  }

  latency(plan: { rate: number; rounds: number; durationMs: number }, runs: Map<string, { samples: number[]; rounds: number[][]; lagMs: number }>): void {
    const s = (name: string): LatencySummary => summarize(runs.get(name)?.samples ?? []);
    const lag = (name: string): string => ms(runs.get(name)?.lagMs ?? Number.NaN);
    const [a, b, n, c] = [s('A'), s('B'), s('N'), s('C')];
    const row = (label: string, x: LatencySummary, name: string) =>
      `| ${label} | ${x.count} | ${ms(x.p50)} | ${ms(x.p90)} | ${ms(x.p99)} | ${ms(x.p999)} | ${ms(x.max)} | ${lag(name)} |`;
    const diff = (label: string, x: LatencySummary, y: LatencySummary) =>
      `| ${label} | | ${signed(x.p50 - y.p50)} | ${signed(x.p90 - y.p90)} | ${signed(x.p99 - y.p99)} | ${signed(x.p999 - y.p999)} | | |`;
    // Judged per round, then the median: B and C of one round ran back to back, so a burst of noise from this
    // VM's neighbours spoils one round's difference rather than the pooled percentile of all of them.
    const roundsOf = (name: string) => (runs.get(name)?.rounds ?? []).map((samples) => summarize(samples));
    const [roundsB, roundsC] = [roundsOf('B'), roundsOf('C')];
    const perRound = roundsC.slice(0, roundsB.length).map((cr, i) => ({ p50: cr.p50 - roundsB[i]!.p50, p99: cr.p99 - roundsB[i]!.p99 }));
    const extraP50 = median(perRound.map((d) => d.p50));
    const extraP99 = median(perRound.map((d) => d.p99));
    const list = (values: number[]) => values.map((v) => signed(v)).join(', ');
    this.data['latency'] = { A: a, B: b, N: n, C: c, perRoundCminusB: perRound };
    this.digest.latency = { A: a, B: b, N: n, C: c };
    this.digest.extra = { p50: extraP50, p99: extraP99 };
    this.digest.rate = plan.rate;
    this.check('2 latency', 'bridge adds ≤ 1 ms p50 over B', `${signed(extraP50)} ms`, extraP50 <= 1);
    this.check('2 latency', 'bridge adds ≤ 3 ms p99 over B', `${signed(extraP99)} ms`, extraP99 <= 3);
    this.add(2, 
      [
        `## 2. Latency at ${plan.rate} logins/s offered (open loop, ${plan.rounds} × ${plan.durationMs / 1000} s per target; ms, from hrtime)`,
        '',
        '| target | samples | p50 | p90 | p99 | p99.9 | max | load generator late by ≤ |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        row(this.names['A']!, a, 'A'),
        row(this.names['B']!, b, 'B'),
        row(this.names['N']!, n, 'N'),
        row(this.names['C']!, c, 'C'),
        diff('B − A (what any bridge adds)', b, a),
        diff('N − A (what the naive stack adds)', n, a),
        diff('C − A (what this bridge adds)', c, a),
        diff('C − B (the bridge over the limit)', c, b),
        diff('C − N (the bridge over the naive stack)', c, n),
        '',
        `C − B per round: p50 ${list(perRound.map((d) => d.p50))}; p99 ${list(perRound.map((d) => d.p99))}. ` +
          `**Median: p50 ${signed(extraP50)}, p99 ${signed(extraP99)}** — target ≤ 1 ms at p50 and ≤ 3 ms at p99. ` +
          'The table pools all rounds; the target is judged on the median of the per-round differences, because one ' +
          'round disturbed by the machine\'s neighbours moves a pooled p99 by tens of ms. ' +
          'Latency is timed from the moment each request is handed to the client pool (queueing there included); the last column is how late ' +
          'the load generator started a request at worst (a busy CPU 0 delays it, and the target then sees a small burst).',
      ].join('\n'),
    );
  }

  memory(m: {
    before: ProcessStats;
    saturationC: SaturationRound[];
    afterRounds: ProcessStats[];
    latencyPeakC: number | undefined;
    afterAll: ProcessStats;
    saturationB: SaturationRound[];
    saturationN: SaturationRound[];
  }): void {
    const peakC = Math.max(...m.saturationC.map((r) => r.peakRssBytes));
    const peakB = Math.max(...m.saturationB.map((r) => r.peakRssBytes));
    const peakN = Math.max(...m.saturationN.map((r) => r.peakRssBytes));
    this.digest.peakRss = { B: peakB, N: peakN, C: peakC };
    const first = m.afterRounds[0];
    const last = m.afterRounds[m.afterRounds.length - 1];
    const growth = first && last ? last.heapUsedBytes - first.heapUsedBytes : 0;
    const noGrowth = m.afterRounds.length < 2 ? undefined : growth <= Math.max(2 * 2 ** 20, 0.05 * (first?.heapUsedBytes ?? 0));
    this.data['memory'] = { ...m, peakC, peakB, peakN };
    this.check('5 memory', 'RSS ≤ 150 MB under load (saturation peak)', `${mb(peakC)} MB`, peakC <= 150 * 2 ** 20);
    this.check('5 memory', 'no growth across repeated runs (heap after GC)', `${growth >= 0 ? '+' : ''}${mb(growth)} MB`, noGrowth);
    this.add(
      5,
      [
        '## 5. Memory of the bridge process (C)',
        '',
        '| when | RSS MB | heap used MB (after GC) |',
        '|---|---:|---:|',
        `| before load (started, 4 logins) | ${mb(m.before.rssBytes)} | ${mb(m.before.heapUsedBytes)} |`,
        ...m.saturationC.map((r, i) => `| saturation round ${i + 1}: peak (sampled every 50 ms) | ${mb(r.peakRssBytes)} | |`),
        ...m.afterRounds.map((s, i) => `| after saturation round ${i + 1} | ${mb(s.rssBytes)} | ${mb(s.heapUsedBytes)} |`),
        ...(m.latencyPeakC !== undefined ? [`| fixed-rate latency runs: peak | ${mb(m.latencyPeakC)} | |`] : []),
        `| at the end of measurements 1, 2, 5 | ${mb(m.afterAll.rssBytes)} | ${mb(m.afterAll.heapUsedBytes)} |`,
        '',
        `For scale, target B peaked at ${mb(peakB)} MB RSS and target N at ${mb(peakN)} MB under the same saturation. Heap after GC, last round vs first: ${growth >= 0 ? '+' : ''}${mb(growth)} MB.`,
      ].join('\n'),
    );
  }

  realistic(
    plan: { tokenDelayMs: number; graphDelayMs: number; groups: number; rate: number; durationMs: number },
    r: {
      tokenRoundTrip: LoadResult;
      baseline: LoadResult;
      naive: LoadResult;
      warm: LoadResult;
      cold: LoadResult;
      graphGroups: true | string;
      warmCounters: IdpCounters;
      coldCounters: IdpCounters;
    },
  ): void {
    const ratio = r.warm.latency.p50 / r.tokenRoundTrip.latency.p50;
    const row = (label: string, x: LoadResult, graphPages?: number) =>
      `| ${label} | ${x.requests} | ${graphPages === undefined ? '—' : (graphPages / Math.max(1, x.requests)).toFixed(2)} | ${ms(x.latency.p50)} | ${ms(x.latency.p90)} | ${ms(x.latency.p99)} | ${(x.latency.p50 / r.tokenRoundTrip.latency.p50).toFixed(3)} |`;
    this.data['realistic'] = { ...r, ratioWarm: ratio };
    const graph = r.graphGroups === true;
    this.check('3 realistic', 'warm-cache login ≤ 1.05 × token round trip (p50)', `${ratio.toFixed(3)} ×${graph ? '' : ' (token groups only: no Graph lookup)'}`, graph ? ratio <= 1.05 : undefined);
    this.add(3, 
      [
        `## 3. Realistic IdP latency (token ${plan.tokenDelayMs} ms${graph ? `, Graph pages ${plan.graphDelayMs} ms, ${plan.groups} groups (overage)` : ''}; ${plan.rate} logins/s open loop, ${plan.durationMs / 1000} s each)`,
        '',
        '| target | logins | Graph calls / login | p50 ms | p90 ms | p99 ms | p50 / token round trip |',
        '|---|---:|---:|---:|---:|---:|---:|',
        row('A — one token round trip', r.tokenRoundTrip),
        row('B — plain Node (token only)', r.baseline),
        row('N — the named stack, naive (token only)', r.naive),
        row(graph ? 'C — repeated login, warm group cache' : 'C — bridge, groups from the token', r.warm, r.warmCounters.graphPages),
        row(graph ? 'C — first login, cold group cache' : 'C — bridge, users never seen before', r.cold, r.coldCounters.graphPages),
        '',
        graph
          ? `Target: warm ≤ 1.05 × token round trip at p50 (measured ${ratio.toFixed(3)} ×).`
          : `**Not measured with groups:** ${r.graphGroups}. The rows show the token-only path (the IdP's groups claim).`,
      ].join('\n'),
    );
  }

  cache(plan: { logins: number; users: number }, rows: CacheRow[]): void {
    this.data['cache'] = rows;
    const lines = [
      `## 4. Group-cache effect (${plan.logins} logins by ${plan.users} users, groups through the Graph-like API)`,
      '',
      '| store | logins | group lookups upstream | Graph pages | lookups / login | lookups / repeated login | cache hit / miss (metric) |',
      '|---|---:|---:|---:|---:|---:|---:|',
    ];
    for (const row of rows) {
      if ('skipped' in row) {
        lines.push(`| ${row.store} | ${row.skipped} | | | | | |`);
        this.check('4 cache', `≤ 0.01 group calls per repeated login (${row.store})`, row.skipped, undefined);
        continue;
      }
      const repeated = row.logins - row.users;
      const perRepeated = Math.max(0, row.counters.graphLookups - row.users) / repeated;
      lines.push(
        `| ${row.store} | ${row.logins} | ${row.counters.graphLookups} | ${row.counters.graphPages} | ${(row.counters.graphLookups / row.logins).toFixed(4)} | ${perRepeated.toFixed(4)} | ${row.cacheMetric.hit} / ${row.cacheMetric.miss} |`,
      );
      this.check('4 cache', `≤ 0.01 group calls per repeated login (${row.store})`, perRepeated.toFixed(4), row.failures === 0 && perRepeated <= 0.01);
    }
    this.add(4, lines.join('\n'));
  }

  /** 7. What an LDAP login through the bridge adds over a direct search-then-bind with ldapts (target L). */
  ldap(plan: { rate: number; rounds: number; durationMs: number; users: number }, runs: { L: number[][]; C: number[][] } | { skipped: string }): void {
    const title = `## 7. LDAP logins at ${plan.rate} logins/s offered (open loop, ${plan.rounds} × ${plan.durationMs / 1000} s per target, ${plan.users} users in slapd; ms)`;
    if ('skipped' in runs) {
      this.data['ldap'] = runs;
      this.add(7, [title, '', runs.skipped].join('\n'));
      return;
    }
    const [l, c] = [summarize(runs.L.flat()), summarize(runs.C.flat())];
    const perRound = runs.C.slice(0, runs.L.length).map((samples, i) => {
      const [cr, lr] = [summarize(samples), summarize(runs.L[i]!)];
      return { p50: cr.p50 - lr.p50, p99: cr.p99 - lr.p99 };
    });
    const extraP50 = median(perRound.map((d) => d.p50));
    const extraP99 = median(perRound.map((d) => d.p99));
    this.data['ldap'] = { L: l, C: c, perRoundCminusL: perRound };
    const row = (label: string, x: LatencySummary) => `| ${label} | ${x.count} | ${ms(x.p50)} | ${ms(x.p90)} | ${ms(x.p99)} | ${ms(x.max)} |`;
    this.add(
      7,
      [
        title,
        '',
        '| target | samples | p50 | p90 | p99 | max |',
        '|---|---:|---:|---:|---:|---:|',
        row('L — direct search-then-bind with ldapts (plain Node, no framework)', l),
        row('C — the bridge with a `type: ldap` connector', c),
        `| C − L (what the bridge adds) | | ${signed(c.p50 - l.p50)} | ${signed(c.p90 - l.p90)} | ${signed(c.p99 - l.p99)} | |`,
        '',
        `C − L per round: p50 ${perRound.map((d) => signed(d.p50)).join(', ')}; p99 ${perRound.map((d) => signed(d.p99)).join(', ')}. ` +
          `**Median: p50 ${signed(extraP50)}, p99 ${signed(extraP99)}.** Both search with a service connection kept bound and bind ` +
          'the person on a new connection; the bridge also runs the caller guard, throttle, nested-group resolution (memberOf of each group), ' +
          'rules, audit line and metrics.',
      ].join('\n'),
    );
  }

  /** 8: a SAML ECP login through the bridge against the ECP round trip alone (the IdP signing every answer). */
  samlEcp(plan: { rate: number; rounds: number; durationMs: number }, rounds: Array<{ direct: LoadResult; bridge: LoadResult }>): void {
    const pooled = (pick: (r: { direct: LoadResult; bridge: LoadResult }) => LoadResult) => summarize(rounds.flatMap((r) => pick(r).samples ?? []));
    const [direct, bridge] = [pooled((r) => r.direct), pooled((r) => r.bridge)];
    const perRound = rounds.map((r) => ({ p50: r.bridge.latency.p50 - r.direct.latency.p50, p99: r.bridge.latency.p99 - r.direct.latency.p99 }));
    const extra = { p50: median(perRound.map((d) => d.p50)), p99: median(perRound.map((d) => d.p99)) };
    this.data['samlEcp'] = { direct, bridge, perRoundBridgeMinusDirect: perRound };
    this.digest.saml = { ...extra, rate: plan.rate };
    const row = (label: string, x: LatencySummary) => `| ${label} | ${x.count} | ${ms(x.p50)} | ${ms(x.p90)} | ${ms(x.p99)} | ${ms(x.max)} |`;
    this.add(
      8,
      [
        `## 8. SAML ECP login at ${plan.rate} logins/s offered (open loop, ${plan.rounds} × ${plan.durationMs / 1000} s per side, alternating; ms)`,
        '',
        '| side | samples | p50 | p90 | p99 | max |',
        '|---|---:|---:|---:|---:|---:|',
        row('the ECP round trip alone (SOAP POST, HTTP Basic, a signed assertion back)', direct),
        row('C — the same login through the bridge (LoginShare POST → ECP → validation → rules → XML)', bridge),
        `| C − the round trip (median of the per-round differences) | | ${signed(extra.p50)} | | ${signed(extra.p99)} | |`,
        '',
        'What the bridge adds to a SAML login: building the AuthnRequest (node-saml), parsing the SOAP answer, ' +
          'verifying the assertion\'s RSA-SHA256 signature and its conditions (node-saml, xml-crypto), the attribute mapping, ' +
          'the rules and the answer — besides what every LoginShare login costs (caller guard, limits, audit line).',
      ].join('\n'),
    );
  }

  startup(timings: StartupTiming[], nodeFloorMs: number): void {
    const listening = median(timings.map((t) => t.listeningMs));
    const ready = median(timings.map((t) => t.readyMs));
    this.data['startup'] = { timings, nodeFloorMs };
    this.check('6 start-up', 'process start → ready < 1 s', `${ready.toFixed(0)} ms`, ready < 1000);
    this.add(6, 
      [
        `## 6. Start-up (\`loginshare-bridge serve\`, explicit endpoints, no discovery; median of ${timings.length})`,
        '',
        '| step | ms |',
        '|---|---:|',
        `| \`node -e ""\` (Node itself, for scale) | ${nodeFloorMs.toFixed(0)} |`,
        `| process start → "listening" log line | ${listening.toFixed(0)} |`,
        `| process start → \`/readyz\` 200 | ${ready.toFixed(0)} |`,
      ].join('\n'),
    );
  }

  /**
   * The one-table summary for docs/benchmarks.md (`--markdown FILE`): per target its saturation throughput, CPU
   * per login, latency at the fixed rate and peak RSS, then the ratios and every target with its verdict.
   */
  summary(): string {
    const d = this.digest;
    const cell = (value: number | undefined, digits = 0): string => (value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits));
    const lines: string[] = [];
    if (d.machine) lines.push(`Machine: ${d.machine['cpus'] ?? '?'}, ${d.machine['memory']?.replace(/ \(.*\)$/, '') ?? '?'}, ${d.machine['os'] ?? '?'}, Node ${d.machine['node'] ?? '?'}; ${d.machine['pinning'] ?? ''}.`, '');
    lines.push(
      `| target | logins/s at saturation (one core) | × B | CPU µs per login | p50 ms at ${d.rate ?? '?'}/s | p99 ms at ${d.rate ?? '?'}/s | RSS peak MB |`,
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const name of TARGETS) {
      const sat = d.saturation?.[name];
      const lat = d.latency?.[name];
      const peak = d.peakRss?.[name];
      const perB = sat && d.saturation?.['B'] ? sat.perSecond / d.saturation['B'].perSecond : undefined;
      lines.push(
        `| ${this.names[name]} | ${cell(sat?.perSecond)} | ${name === 'A' ? '—' : cell(perB, 2)} | ${cell(sat?.cpu)} | ${cell(lat?.p50, 2)} | ${cell(lat?.p99, 2)} | ${peak === undefined ? '—' : mb(peak)} |`,
      );
    }
    lines.push('');
    const parts: string[] = [];
    if (d.ratios) parts.push(`**C/B = ${ratio(d.ratios.cb)}** (target ≥ ${MIN_CB})`, `**C/N = ${ratio(d.ratios.cn)}** (target ≥ ${MIN_CN.toFixed(1)})`);
    if (d.extra) parts.push(`at ${d.rate ?? '?'} logins/s C − B: **p50 ${signed(d.extra.p50)} ms, p99 ${signed(d.extra.p99)} ms** (targets ≤ 1 and ≤ 3; median of the per-round differences)`);
    if (d.saml) parts.push(`a SAML ECP login at ${d.saml.rate}/s: the bridge adds **p50 ${signed(d.saml.p50)} ms, p99 ${signed(d.saml.p99)} ms** over the ECP round trip`);
    if (parts.length) lines.push(`${parts.join(' · ')}.`, '');
    lines.push('| target | measured | |', '|---|---:|---|');
    for (const c of [...this.checks].sort((x, y) => x.measurement.localeCompare(y.measurement))) {
      lines.push(`| ${c.measurement.replace(/^\d+ /, '')}: ${c.target} | ${c.measured} | ${c.status === 'met' ? 'met' : c.status === 'missed' ? '**missed**' : 'not measured'} |`);
    }
    return `${lines.join('\n')}\n`;
  }

  render(): string {
    const checks = [
      '## Targets',
      '',
      '| measurement | target | measured | |',
      '|---|---|---:|---|',
      ...[...this.checks].sort((x, y) => x.measurement.localeCompare(y.measurement)).map((c) => `| ${c.measurement} | ${c.target} | ${c.measured} | ${c.status === 'met' ? 'met' : c.status === 'missed' ? '**missed**' : 'not measured'} |`),
    ].join('\n');
    const sections = [...this.sections].sort((x, y) => x.order - y.order).map((x) => x.text);
    return ['# loginshare-bridge benchmark', ...sections, checks, ...this.notes].join('\n\n') + '\n';
  }
}
