import type { Registry } from 'prom-client';

/**
 * Counters and histograms for the request hot path, exposed through prom-client's registry.
 *
 * Why not prom-client's own: its label children still validate and hash the label object on
 * every `inc`/`observe` (prom-client 15), which measured several microseconds per request —
 * more than the whole session check. Here a label set is resolved to its series once, and a
 * hot-path update is a couple of additions on plain numbers. The registry formats them like
 * any other metric (it only needs `name`, `help`, `type` and `get()`).
 */

/** One counter series (a fixed label set). */
export interface CounterSeries {
  inc(by?: number): void;
}

/** One histogram series (a fixed label set). */
export interface HistogramSeries {
  observe(value: number): void;
}

type LabelValues<L extends string> = Readonly<Record<L, string>>;

interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
}

/** What prom-client's registry reads from a metric. */
interface RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: MetricValue[] }>;
}

/** Keeps the label series of one metric; a new label set is validated once, when first used. */
class SeriesTable<L extends string, S> {
  private readonly byKey = new Map<string, { labels: LabelValues<L>; series: S }>();

  constructor(
    private readonly metricName: string,
    private readonly labelNames: readonly L[],
    private readonly create: () => S,
  ) {}

  resolve(labels: LabelValues<L>): S {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let found = this.byKey.get(key);
    if (found === undefined) {
      for (const name of Object.keys(labels)) {
        if (!(this.labelNames as readonly string[]).includes(name)) throw new Error(`${this.metricName} has no label "${name}".`);
      }
      for (const name of this.labelNames) {
        if (typeof labels[name] !== 'string') throw new Error(`${this.metricName} needs the label "${name}".`);
      }
      found = { labels: { ...labels }, series: this.create() };
      this.byKey.set(key, found);
    }
    return found.series;
  }

  entries(): IterableIterator<{ labels: LabelValues<L>; series: S }> {
    return this.byKey.values();
  }
}

/** Options shared by both kinds. */
export interface MetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registry: Registry;
}

/** A monotonically increasing counter with labels. */
export class LabelledCounter<L extends string> implements RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter' as const;
  readonly aggregator = 'sum' as const;
  private readonly table: SeriesTable<L, { value: number; inc(by?: number): void }>;

  constructor(options: MetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.table = new SeriesTable(options.name, options.labelNames, () => ({
      value: 0,
      inc(by = 1) {
        // A counter never goes down (Prometheus would read a decrease as a restart).
        if (by >= 0) this.value += by;
      },
    }));
    options.registry.registerMetric(this as never);
  }

  /** The series of one label set, for a caller that updates it often. */
  labels(labels: LabelValues<L>): CounterSeries {
    return this.table.resolve(labels);
  }

  inc(labels: LabelValues<L>, by = 1): void {
    this.table.resolve(labels).inc(by);
  }

  async get(): ReturnType<RegisteredMetric['get']> {
    const values = [...this.table.entries()].map(({ labels, series }) => ({ value: series.value, labels: { ...labels } }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

interface HistogramState extends HistogramSeries {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A cumulative histogram with labels and fixed upper bounds (`le`). */
export class LabelledHistogram<L extends string> implements RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: readonly number[];
  private readonly table: SeriesTable<L, HistogramState>;

  constructor(options: MetricOptions<L> & { readonly buckets: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    const bounds = [...options.buckets].sort((a, b) => a - b);
    if (bounds.length === 0 || bounds.some((b) => !Number.isFinite(b))) throw new Error(`${options.name} needs finite buckets.`);
    this.bounds = bounds;
    this.table = new SeriesTable(options.name, options.labelNames, () => ({
      counts: new Float64Array(bounds.length),
      sum: 0,
      count: 0,
      observe(value: number) {
        if (!Number.isFinite(value)) return;
        this.sum += value;
        this.count++;
        // Per-bucket (non-cumulative) counts; get() accumulates. A value above every bound
        // only lands in +Inf, which is `count`.
        for (let i = 0; i < bounds.length; i++) {
          if (value <= (bounds[i] as number)) {
            (this.counts as Float64Array)[i]++;
            break;
          }
        }
      },
    }));
    options.registry.registerMetric(this as never);
  }

  /** The series of one label set, for a caller that updates it often. */
  labels(labels: LabelValues<L>): HistogramSeries {
    return this.table.resolve(labels);
  }

  observe(labels: LabelValues<L>, value: number): void {
    this.table.resolve(labels).observe(value);
  }

  async get(): ReturnType<RegisteredMetric['get']> {
    const values: MetricValue[] = [];
    for (const { labels, series } of this.table.entries()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({ metricName: `${this.name}_bucket`, value: cumulative, labels: { ...labels, le: bound } });
      });
      values.push({ metricName: `${this.name}_bucket`, value: series.count, labels: { ...labels, le: '+Inf' } });
      values.push({ metricName: `${this.name}_sum`, value: series.sum, labels: { ...labels } });
      values.push({ metricName: `${this.name}_count`, value: series.count, labels: { ...labels } });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
