// The results as a console/Markdown table with ratios, the targets from the issue, and files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NODE_PEERS = ['node-http-proxy', 'fastify-http-proxy'];
const mb = (bytes) => (bytes / 1e6).toFixed(0);
const ratio = (a, b) => (a === undefined || b === undefined || !b ? '–' : `${(a / b).toFixed(2)}×`);

function bestNode(rows, key, lowerIsBetter = false) {
  const values = rows.filter((r) => NODE_PEERS.includes(r.peer) && !r.failed && r[key] !== undefined).map((r) => r[key]);
  if (values.length === 0) return undefined;
  return lowerIsBetter ? Math.min(...values) : Math.max(...values);
}

function scenarioTable(name, scenario, peers) {
  const rows = scenario.rows;
  const nginx = rows.find((r) => r.peer === 'nginx' && !r.failed);
  const label = (r) => peers[r.peer]?.label ?? r.peer;
  if (scenario.webSocket) {
    const lines = ['| path | messages/s | ÷ direct | errors |', '|---|---:|---:|---:|'];
    for (const r of rows) lines.push(r.failed ? `| ${r.label} | failed: ${r.failed} |||` : `| ${r.label} | ${r.messagesPerSec.toFixed(0)} | ${ratio(r.messagesPerSec, rows.find((d) => d.peer === 'direct')?.messagesPerSec)} | ${r.errors} |`);
    return lines;
  }
  if (scenario.tcp) {
    const times = (value) => (value === null || value === undefined ? '–' : `${value.toFixed(2)}×`);
    const lines = ['| path | 1 GiB MB/s | ÷ direct | ÷ nginx | short conn/s | ÷ direct | ÷ nginx | p99 ms | errors | peak RSS |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
    for (const r of rows) {
      lines.push(
        r.failed
          ? `| ${r.label} | failed: ${r.failed} |||||||||`
          : `| ${r.label} | ${r.bulkMBps.toFixed(0)} | ${times(r.bulkVsDirect)} | ${times(r.bulkVsNginx)} | ${r.connectionsPerSec.toFixed(0)} | ${times(r.shortVsDirect)} | ${times(r.shortVsNginx)} | ${r.p99Ms.toFixed(2)} | ${r.errors} | ${r.peakRss === null ? '–' : `${mb(r.peakRss)} MB`} |`,
      );
    }
    return lines;
  }
  if (name === 'idle') {
    const lines = ['| proxy | connections held | RSS with them | RSS before | errors | RSS ÷ nginx |', '|---|---:|---:|---:|---:|---:|'];
    for (const r of rows) lines.push(r.failed ? `| ${label(r)} | failed: ${r.failed} |||||` : `| ${label(r)} | ${r.connections} | ${mb(r.rss)} MB | ${mb(r.rssBefore)} MB | ${r.errors} | ${ratio(r.rss, nginx?.rss)} |`);
    return lines;
  }
  const throughput = name === 'large' || name === 'upload';
  const key = throughput ? 'mbps' : 'rps';
  const node = bestNode(rows, key);
  const nodeP99 = bestNode(rows, 'p99Ms', true);
  const lines = [
    `| proxy | req/s | MB/s | p50 ms | p99 ms | p99.9 ms | errors | peak RSS | ${throughput ? 'MB/s' : 'req/s'} ÷ nginx | ÷ best Node | p99 ÷ nginx | p99 ÷ best Node |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    if (r.failed) {
      lines.push(`| ${label(r)} | failed: ${r.failed} |||||||||||`);
      continue;
    }
    lines.push(
      `| ${label(r)} | ${r.rps.toFixed(0)} | ${r.mbps.toFixed(1)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.p999Ms.toFixed(2)} | ${r.errors} | ${mb(r.peakRss)} MB | ${ratio(r[key], nginx?.[key])} | ${ratio(r[key], node)} | ${ratio(r.p99Ms, nginx?.p99Ms)} | ${ratio(r.p99Ms, nodeP99)} |`,
    );
  }
  return lines;
}

/** The issue's targets, checked against this run where both sides were measured. */
export function targets(results) {
  const row = (scenario, peer) => results.scenarios[scenario]?.rows.find((r) => r.peer === peer && !r.failed);
  const out = [];
  const check = (what, value, goal, pass) => out.push({ target: what, value: value === undefined || Number.isNaN(value) ? null : value, goal, met: value === undefined || Number.isNaN(value) ? null : pass(value) });
  const p = row('small', 'prox');
  const n = row('small', 'nginx');
  check('1: req/s ÷ nginx', p && n ? p.rps / n.rps : undefined, '≥ 0.5', (v) => v >= 0.5);
  check('1: req/s ÷ @fastify/http-proxy', p && row('small', 'fastify-http-proxy') ? p.rps / row('small', 'fastify-http-proxy').rps : undefined, '≥ 4', (v) => v >= 4);
  check('1: req/s ÷ node-http-proxy', p && row('small', 'node-http-proxy') ? p.rps / row('small', 'node-http-proxy').rps : undefined, '≥ 4', (v) => v >= 4);
  check('1: p99 ÷ nginx p99', p && n ? p.p99Ms / n.p99Ms : undefined, '≤ 2', (v) => v <= 2);
  const off = row('small', 'prox-no-metrics');
  check('metrics cost (1 − on ÷ off)', p && off ? 1 - p.rps / off.rps : undefined, '≤ 10%', (v) => v <= 0.1);
  const edge = row('small', 'prox-edge');
  check('header rules + rate limit cost (1 − edge ÷ bare route)', p && edge ? 1 - edge.rps / p.rps : undefined, '–', () => true);
  const logged = row('small-log', 'prox');
  check('access log cost (1 − log on ÷ off)', p && logged ? 1 - logged.rps / p.rps : undefined, '≤ 25%', (v) => v <= 0.25);
  const l = row('large', 'prox');
  const ln = row('large', 'nginx');
  check('3: MB/s ÷ nginx', l && ln ? l.mbps / ln.mbps : undefined, '≥ 0.5', (v) => v >= 0.5);
  check('3: peak RSS (MB)', l ? l.peakRss / 1e6 : undefined, '< 150', (v) => v < 150);
  const idle = row('idle', 'prox');
  check(`5: RSS with ${idle?.connections ?? 'N'} idle connections (MB)`, idle ? idle.rss / 1e6 : undefined, '< 250', (v) => v < 250);
  for (const [scenario, name] of [['https', '7: HTTPS/1.1 req/s ÷ nginx'], ['h2', '8: HTTP/2 req/s ÷ nginx']]) {
    const tp = row(scenario, 'prox');
    const tn = row(scenario, 'nginx');
    check(name, tp && tn ? tp.rps / tn.rps : undefined, '≥ 0.35', (v) => v >= 0.35);
  }
  const tcp = row('tcp', 'prox');
  check('10: tcp 1 GiB MB/s ÷ nginx stream', tcp?.bulkVsNginx ?? undefined, '≥ 0.7', (v) => v >= 0.7);
  check('10: tcp short connections/s ÷ nginx stream (info)', tcp?.shortVsNginx ?? undefined, '–', () => true);
  const two = row('small', 'prox-2w');
  check('workers: 2 ÷ workers: 1 req/s (info)', p && two ? two.rps / p.rps : undefined, '–', () => true);
  return out;
}

export function writeReport(results, outDir) {
  results.targets = targets(results);
  const md = [
    `Run ${results.date.slice(0, 16).replace('T', ' ')} UTC on ${results.machine}.`,
    `Backend ${results.backend}; load ${results.load}; ${results.seconds} s per run; ${results.connections} connections (1 MiB: 8, uploads: 4); CPU pinning ${results.pinning ? 'on (proxy CPU 0, backend and load CPU 1)' : 'off'}.`,
    '',
  ];
  for (const [name, scenario] of Object.entries(results.scenarios)) {
    md.push(`#### ${scenario.title}`, '', ...scenarioTable(name, scenario, results.peers), '');
  }
  md.push('#### Targets', '', '| target | this run | goal | met |', '|---|---:|---|---|');
  for (const t of results.targets) {
    const value = t.value === null ? 'not measured' : t.target.includes('cost') ? `${(t.value * 100).toFixed(1)}%` : t.value.toFixed(2);
    md.push(`| ${t.target} | ${value} | ${t.goal} | ${t.met === null ? '–' : t.met ? 'yes' : '**no**'} |`);
  }
  const table = md.join('\n') + '\n';
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'latest.json');
  const markdown = join(outDir, 'latest.md');
  writeFileSync(json, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(markdown, table);
  return { table, files: [json, markdown] };
}
