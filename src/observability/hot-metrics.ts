import { Counter, type Registry } from 'prom-client';

/**
 * A counter and a histogram for the login path, recorded in plain fields and handed to Prometheus when it scrapes.
 *
 * Why not prom-client's own on every login: each `inc` / `observe` validates the labels, sorts their names and
 * builds a hash string, and a histogram finds its bucket by a decimal key: ~4 µs per login for the three metrics
 * in isolation, several times that in place at saturation. Here a series is found through
 * one Map per label — the values are a handful of constants and config ids, whose hashes V8 keeps — and
 * recording is a few additions. The exposition is prom-client's, byte for byte (test/observability/hot-metrics.test.ts).
 */
export type LabelValues<L extends string> = Readonly<Record<L, string>>;

interface MetricConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
}

/** Series by label values, one Map level per label name, in the metric's label order. */
class SeriesByLabels<L extends string, S> {
  readonly #root = new Map<string, unknown>();
  readonly #all: S[] = [];

  constructor(
    private readonly labelNames: readonly L[],
    private readonly create: (labels: LabelValues<L>) => S,
  ) {}

  get(labels: LabelValues<L>): S {
    let level = this.#root;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      const value = labels[this.labelNames[i]!];
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(value, (next = new Map()));
      level = next;
    }
    const leafValue = labels[this.labelNames[last]!];
    let series = level.get(leafValue) as S | undefined;
    if (series === undefined) {
      // A copy in label order: the caller's object is not kept, and the exposition's label order is fixed.
      const copy = {} as Record<L, string>;
      for (const name of this.labelNames) copy[name] = labels[name];
      series = this.create(copy);
      level.set(leafValue, series);
      this.#all.push(series);
    }
    return series;
  }

  all(): readonly S[] {
    return this.#all;
  }

  clear(): void {
    this.#root.clear();
    this.#all.length = 0;
  }
}

/** A prom-client Counter whose increments are counted here and added to it when it is collected. */
export class HotCounter<L extends string> {
  readonly metric: Counter<L>;
  readonly #series: SeriesByLabels<L, { labels: LabelValues<L>; pending: number }>;

  constructor(config: MetricConfig<L>) {
    const series = new SeriesByLabels<L, { labels: LabelValues<L>; pending: number }>(config.labelNames, (labels) => ({ labels, pending: 0 }));
    this.#series = series;
    this.metric = new Counter<L>({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames,
      registers: config.registers,
      collect() {
        for (const s of series.all()) {
          if (s.pending === 0) continue;
          this.inc(s.labels, s.pending);
          s.pending = 0;
        }
      },
    });
  }

  inc(labels: LabelValues<L>): void {
    this.#series.get(labels).pending += 1;
  }
}

interface HistogramSeries<L extends string> {
  labels: LabelValues<L>;
  /** Observations per bucket: `counts[i]` for values in (bound[i-1], bound[i]], the last for above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A histogram registered in prom-client's registry as a metric of its own: the registry asks it for its values
 * (`get()`) at scrape time, in the shape prom-client's Histogram gives.
 */
export class HotHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #series: SeriesByLabels<L, HistogramSeries<L>>;

  constructor(config: MetricConfig<L> & { buckets: readonly number[] }) {
    this.name = config.name;
    this.help = config.help;
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
    const slots = this.#bounds.length + 1;
    this.#series = new SeriesByLabels<L, HistogramSeries<L>>(config.labelNames, (labels) => ({ labels, counts: new Float64Array(slots), sum: 0, count: 0 }));
    // prom-client's Registry takes any object with a name and get(); its types ask for a Metric.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(labels: LabelValues<L>, value: number): void {
    // A duration is always finite; a NaN must not end a login (prom-client would throw).
    if (!Number.isFinite(value)) return;
    const series = this.#series.get(labels);
    const bounds = this.#bounds;
    let slot = 0;
    while (slot < bounds.length && value > bounds[slot]!) slot++;
    series.counts[slot]! += 1;
    series.sum += value;
    series.count += 1;
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: ExportedValue[]; aggregator: 'sum' }> {
    const values: ExportedValue[] = [];
    for (const series of this.#series.all()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.#series.clear();
  }
}
