/** The value of one series (`name{labels}`) in a Prometheus exposition; null when absent. */
export function seriesValue(exposition: string, series: string): number | null {
  const line = exposition.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}
