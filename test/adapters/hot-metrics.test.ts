import { Registry } from 'prom-client';
import { HotCounter, HotHistogram } from '../../src/adapters/prometheus/hot-metrics';

describe('hot metrics', () => {
  it('expose counters in the text format, one line per series', async () => {
    const registry = new Registry();
    const counter = new HotCounter('test_requests_total', 'Requests.', registry);
    counter.seriesFor({ route: '/a' }).value += 3;
    counter.seriesFor({ route: '/b"x' }).value += 1;
    expect(await registry.metrics()).toBe(
      '# HELP test_requests_total Requests.\n# TYPE test_requests_total counter\ntest_requests_total{route="/a"} 3\ntest_requests_total{route="/b\\"x"} 1\n',
    );
  });

  it('count a value equal to a bound in that bucket, and expose cumulative buckets, sum and count', async () => {
    const registry = new Registry();
    const histogram = new HotHistogram('test_seconds', 'Durations.', registry, [0.1, 1]);
    const series = histogram.seriesFor({ route: '/' });
    for (const value of [0.05, 0.1, 0.5, 1, 7]) series.observe(value);
    expect((await registry.metrics()).split('\n').slice(2, 7)).toEqual([
      'test_seconds_bucket{le="0.1",route="/"} 2',
      'test_seconds_bucket{le="1",route="/"} 4',
      'test_seconds_bucket{le="+Inf",route="/"} 5',
      'test_seconds_sum{route="/"} 8.65',
      'test_seconds_count{route="/"} 5',
    ]);
  });
});
