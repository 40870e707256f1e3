import type { Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

interface MetricValue {
  readonly labels: Labels;
  readonly value: number;
  readonly metricName?: string;
}

/**
 * The shape prom-client's Registry (and AggregatorRegistry) reads from a metric: its `get()`
 * result is formatted exactly like prom-client's own counters and histograms.
 */
abstract class HotMetric {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    // prom-client's registry accepts any object with a name and an async get().
    registry.registerMetric(this as never);
  }

  protected abstract values(): MetricValue[];

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() };
  }
}

/** One labelled counter series: incrementing is an addition on a plain object. */
export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}
}

/**
 * A counter for the request path. prom-client hashes the label object on every increment;
 * here a caller keeps the series it got once and adds to it.
 */
export class HotCounter extends HotMetric {
  readonly type = 'counter';
  private readonly allSeries: CounterSeries[] = [];

  seriesFor(labels: Labels): CounterSeries {
    const series = new CounterSeries(labels);
    this.allSeries.push(series);
    return series;
  }

  protected values(): MetricValue[] {
    return this.allSeries.map((series) => ({ labels: series.labels, value: series.value }));
  }
}

/** One labelled histogram series: a bucket array, a sum and a count. */
export class HistogramSeries {
  /** Per bucket (not cumulative), the last one for values above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

export class HotHistogram extends HotMetric {
  readonly type = 'histogram';
  private readonly allSeries: HistogramSeries[] = [];

  constructor(
    name: string,
    help: string,
    registry: Registry,
    private readonly bounds: readonly number[],
  ) {
    super(name, help, registry);
  }

  seriesFor(labels: Labels): HistogramSeries {
    const series = new HistogramSeries(labels, this.bounds);
    this.allSeries.push(series);
    return series;
  }

  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const series of this.allSeries) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.counts[i];
        out.push({ labels: { le: String(this.bounds[i]), ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      out.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${this.name}_bucket` });
      out.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      out.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return out;
  }
}
