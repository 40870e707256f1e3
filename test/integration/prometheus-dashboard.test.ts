import { freeLoopbackPort } from '../support/ports';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { pollUntil, startSwitchableBackend, SwitchableBackend } from '../support/backends';
import { makeTestCa } from '../support/certificates';
import { send } from '../support/http-client';
import { ProxProcess, startProx } from '../support/prox-process';

/**
 * The shipped monitoring assets against the real thing: a real prox (with real backends and
 * traffic) scraped by a real Prometheus that loads the shipped alerting rules. Every PromQL
 * expression of the Grafana dashboard and of the alerts is evaluated there, the exposition is
 * linted by promtool and compared with docs/metrics.md.
 */

const ROOT = join(__dirname, '..', '..');
const DASHBOARD_FILE = join(ROOT, 'deploy', 'grafana', 'prox-dashboard.json');
const PROMETHEUS_CONFIG = join(ROOT, 'deploy', 'prometheus', 'prometheus.yml');
const ALERTS_FILE = join(ROOT, 'deploy', 'prometheus', 'alerts.yml');
const ALERTS_TEST_FILE = join(ROOT, 'deploy', 'prometheus', 'alerts_test.yml');
const METRICS_DOC = join(ROOT, 'docs', 'metrics.md');

/**
 * Metrics of features prox does not have yet. They are documented, and used by the dashboard
 * and the alerts so those work unchanged when the feature lands, but they have no series now.
 * The test asserts that they indeed have none: when the feature lands, remove the entry.
 */
const METRICS_OF_FEATURES_NOT_BUILT: Readonly<Record<string, string>> = {};

/** Days the certificate prox serves in this test has left: inside the 14-day alert, outside the 3-day one. */
const CERTIFICATE_DAYS = 5;


/**
 * Grafana's built-in interval variables, as Grafana would set them for a Prometheus data source
 * scraped every second ($__rate_interval = 4 × scrape interval, rounded up here).
 */
const GRAFANA_BUILTINS: Readonly<Record<string, string>> = {
  __rate_interval: '5s',
  __interval: '1s',
  __range: '1m',
};

// ---------------------------------------------------------------------------------------------
// Dashboard, alerts and docs as data.
// ---------------------------------------------------------------------------------------------

interface DashboardTarget {
  readonly expr?: string;
  readonly refId?: string;
}
interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { type: string; uid: string };
  readonly targets?: DashboardTarget[];
  readonly panels?: DashboardPanel[];
  readonly gridPos?: { h: number; w: number; x: number; y: number };
}
interface DashboardVariable {
  readonly name: string;
  readonly type: string;
  readonly definition?: string;
  readonly query?: string | { query: string };
  readonly multi?: boolean;
  readonly includeAll?: boolean;
  readonly allValue?: string;
}
interface Dashboard {
  readonly schemaVersion: number;
  readonly uid: string;
  readonly title: string;
  readonly panels: DashboardPanel[];
  readonly templating: { list: DashboardVariable[] };
  readonly annotations: { list: { name: string; expr?: string }[] };
}

/** Every panel, rows' nested panels included. */
function allPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

interface PanelQuery {
  readonly where: string;
  readonly expr: string;
}

function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({ where: `panel "${panel.title}" target ${t.refId ?? '?'}`, expr: t.expr ?? '' })),
  );
}

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

function alertRules(): AlertRule[] {
  const file = parseYaml(readFileSync(ALERTS_FILE, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

interface DocumentedMetric {
  readonly type: string;
  readonly labels: string[];
}

/** Rows `| \`name\` | type | \`label\`, ... |` of the tables in docs/metrics.md. */
function documentedMetrics(): Map<string, DocumentedMetric> {
  const metrics = new Map<string, DocumentedMetric>();
  for (const match of readFileSync(METRICS_DOC, 'utf8').matchAll(/^\| `([a-z_:][a-z0-9_:]*)` \| (counter|gauge|histogram|summary) \| ([^|]*) \|$/gm)) {
    const labels = match[3].trim() === 'none' ? [] : [...match[3].matchAll(/`([a-z_][a-z0-9_]*)`/g)].map((m) => m[1]);
    metrics.set(match[1], { type: match[2], labels: labels.sort() });
  }
  return metrics;
}

/**
 * Metric names a PromQL expression selects: identifiers left once strings, label matchers, range
 * and subquery brackets, grouping clauses, numbers, keywords and function calls are removed.
 */
function metricNamesIn(expr: string): string[] {
  let text = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ');
  text = text.replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  text = text.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  text = text.replace(/(?<![A-Za-z0-9_:])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])?/g, ' ');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'atan2']);
  const names = new Set<string>();
  for (const match of text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = text.slice(match.index! + match[0].length);
    if (/^\s*\(/.test(after) || keywords.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** The metric family a series name belongs to (histogram series carry suffixes). */
function familyOf(name: string, families: ReadonlySet<string>): string {
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return families.has(base) ? base : name;
}

// ---------------------------------------------------------------------------------------------
// Grafana template variable interpolation (what Grafana's Prometheus data source does).
// ---------------------------------------------------------------------------------------------

/** Grafana's prometheusSpecialRegexEscape: a value of a multi-value or "All" variable in a regex. */
function grafanaRegexEscape(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
}

/** Replaces $name, ${name} and [[name]]; `${1}`-style capture references are left alone. */
function interpolate(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    if (/^\d+$/.test(name)) return whole;
    const value = values[name];
    if (value === undefined) throw new Error(`unknown template variable ${whole} in: ${expr}`);
    return value;
  });
}

/** A multi-value variable's selection as Grafana renders it into a `=~` matcher. */
function selectionValue(variable: DashboardVariable, selected: 'all' | string[], options: string[]): string {
  if (selected === 'all') {
    if (variable.allValue !== undefined && variable.allValue !== '') return variable.allValue;
    return `(${options.map(grafanaRegexEscape).join('|')})`;
  }
  return `(${selected.map(grafanaRegexEscape).join('|')})`;
}

// ---------------------------------------------------------------------------------------------
// Processes.
// ---------------------------------------------------------------------------------------------


interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function runTool(command: string, args: string[], stdin?: string): Promise<ToolResult> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = once(child, 'exit');
  const spawnError = once(child, 'error').then(([error]) => {
    throw new Error(`cannot run ${command} (install the Debian package "prometheus"): ${(error as Error).message}`);
  });
  child.stdin.end(stdin ?? '');
  const [code] = (await Promise.race([exited, spawnError])) as [number | null];
  return { code, stdout, stderr };
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Prometheus HTTP API.
// ---------------------------------------------------------------------------------------------

interface ApiResponse<T> {
  readonly status: 'success' | 'error';
  readonly data: T;
  readonly errorType?: string;
  readonly error?: string;
}

interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

type QueryResult = { resultType: 'vector'; result: VectorSample[] } | { resultType: 'scalar'; result: [number, string] };

describe('Grafana dashboard and Prometheus alerts against a real prox and a real Prometheus', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
  const alerts = alertRules();
  const backends: SwitchableBackend[] = [];
  let steady: SwitchableBackend;
  let flaky: SwitchableBackend;
  let prox: ProxProcess;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let promUrl = '';
  let workDir = '';
  let traffic: { stop(): Promise<{ sent: number; statuses: Map<number, number>; errors: string[] }> } | undefined;
  let exposition = '';
  let routeKeys: string[] = [];
  /** The plaintext listener beside the TLS one: the test's traffic goes there. */
  let plainUrl = '';

  async function api<T>(path: string): Promise<ApiResponse<T>> {
    const response = await fetch(`${promUrl}${path}`);
    const body = (await response.json()) as ApiResponse<T>;
    return body;
  }

  async function query(expr: string): Promise<ApiResponse<QueryResult>> {
    return api<QueryResult>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  }

  /** Series of one metric name seen in the last minute. */
  async function seriesOf(name: string): Promise<Record<string, string>[]> {
    const start = Math.floor(Date.now() / 1000) - 60;
    const response = await api<Record<string, string>[]>(`/api/v1/series?match[]=${encodeURIComponent(name)}&start=${start}`);
    if (response.status !== 'success') throw new Error(`series ${name}: ${response.error}`);
    return response.data;
  }

  async function scalarOf(expr: string): Promise<number> {
    const response = await query(expr);
    if (response.status !== 'success') throw new Error(`${expr}: ${response.error}`);
    const data = response.data;
    if (data.resultType === 'scalar') return Number(data.result[1]);
    return data.result.length === 0 ? NaN : Number(data.result[0].value[1]);
  }

  /**
   * Sends requests over keep-alive connections until stopped (bounded): every route type, 2xx,
   * 3xx, 404 (no route), 500 from a backend, 503 answers retried on the other backend, bodies.
   */
  function startTraffic(base: string): { stop(): Promise<{ sent: number; statuses: Map<number, number>; errors: string[] }> } {
    const agent = new Agent({ connections: 3, pipelining: 1 });
    const plan: { path: string; method?: 'GET' | 'POST' | 'HEAD'; body?: string }[] = [
      { path: '/balance/ok' },
      { path: '/balance/fail' },
      { path: '/balance/ok', method: 'HEAD' },
      { path: '/balance/ok', method: 'POST', body: 'y'.repeat(256) },
      { path: '/api/ok', method: 'POST', body: 'x'.repeat(512) },
      { path: '/api/boom' },
      { path: '/api/ok' },
      { path: '/old' },
      { path: '/nowhere' },
    ];
    const maxRequests = 20_000;
    const statuses = new Map<number, number>();
    const errors: string[] = [];
    let sent = 0;
    let stopping = false;
    const worker = async (offset: number): Promise<void> => {
      for (let i = offset; !stopping && sent < maxRequests; i++) {
        const step = plan[i % plan.length];
        sent++;
        try {
          const response = await request(`${base}${step.path}`, { method: step.method ?? 'GET', body: step.body, dispatcher: agent });
          await response.body.text();
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        } catch (error) {
          errors.push(`${step.path}: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    };
    const workers = [0, 3, 5].map(worker);
    return {
      async stop() {
        stopping = true;
        await Promise.all(workers);
        await agent.close();
        return { sent, statuses, errors };
      },
    };
  }

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'prox-prometheus-'));
    steady = await startSwitchableBackend('steady');
    flaky = await startSwitchableBackend('flaky');
    backends.push(steady, flaky);
    // flaky: 503 on /balance/fail (retried on steady, and counted by its breaker), 500 on
    // /api/boom (passed to the client: the error panels' data).
    flaky.setPath('/balance/fail', 503);
    flaky.setPath('/api/boom', 500);
    routeKeys = ['/balance', '/api', '/old'];
    // A TLS listener whose certificate expires in a few days (the expiry panel and alerts), and
    // a plaintext listener serving the same routes for the traffic.
    const certificate = makeTestCa().issue('prometheus', ['prometheus.test'], { days: CERTIFICATE_DAYS });
    const plainPort = await freeLoopbackPort();
    plainUrl = `http://127.0.0.1:${plainPort}`;
    prox = await startProx(`
listen_addr: "127.0.0.1:0"
tls:
  cert_path: "${certificate.certPath}"
  key_path: "${certificate.keyPath}"
  http_listen_addr: "127.0.0.1:${plainPort}"
  http_redirect: false
routes:
  "/balance":
    type: load_balance
    targets: ["${steady.url}", "${flaky.url}"]
    strategy: round_robin
    health_check: { interval_secs: 1, timeout_secs: 0.5, path: "/health" }
    circuit_breaker: { max_failures: 2, timeout_secs: 0.5, half_open_successes: 1 }
    retries: { attempts: 1, on: [connect_error, reset, 503] }
    passive: { enabled: false }
  "/api":
    type: proxy
    target: "${flaky.url}"
    retries: { attempts: 0 }
    passive: { enabled: false }
  "/old":
    type: redirect
    target: "https://example.com/new"
    status_code: 301
`);
    expect(prox.adminPort).toBeGreaterThan(0);

    // The breaker of flaky on /balance opens for sure: 503s only, before the mixed traffic.
    for (let i = 0; i < 6; i++) expect((await send(`${plainUrl}/balance/fail`)).status).toBe(200);
    traffic = startTraffic(plainUrl);

    // Prometheus on the shipped config, pointed at this prox and scraping every second.
    const config = parseYaml(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
      global: Record<string, unknown>;
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.rule_files).toEqual(['alerts.yml']);
    copyFileSync(ALERTS_FILE, join(workDir, 'alerts.yml'));
    config.global = { ...config.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
    const job = config.scrape_configs.find((c) => c.job_name === 'prox');
    expect(job).toBeDefined();
    job!.static_configs = [{ targets: [`127.0.0.1:${prox.adminPort}`] }];
    writeFileSync(join(workDir, 'prometheus.yml'), stringifyYaml(config));

    const port = await freeLoopbackPort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(workDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(workDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr!.setEncoding('utf8').on('data', (t: string) => (prometheusLog += t));
    let spawnError: Error | null = null;
    prometheus.on('error', (error) => (spawnError = error));

    await pollUntil(
      async () => {
        if (spawnError !== null) throw new Error(`cannot run prometheus (install the Debian package "prometheus"): ${(spawnError as Error).message}`);
        if (prometheus!.exitCode !== null) throw new Error(`prometheus exited with ${prometheus!.exitCode}`);
        return fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false);
      },
      { attempts: 100, pauseMs: 100, what: 'prometheus ready' },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nprometheus log:\n${prometheusLog}`);
    });
    // Enough scrapes for the dashboard's rate windows, with traffic flowing the whole time.
    await pollUntil(async () => (await scalarOf('count_over_time(up{job="prox"}[6s])')) >= 5 && (await scalarOf('min_over_time(up{job="prox"}[6s])')) === 1, {
      attempts: 150,
      pauseMs: 200,
      what: '5 successful scrapes of prox',
    });
    // A reload that works: the reload counter moves, as the alert and the panel expect.
    process.kill(prox.child.pid!, 'SIGHUP');
    await pollUntil(async () => (await scalarOf('prox_config_reloads_total{result="success"}')) >= 1, {
      attempts: 100,
      pauseMs: 100,
      what: 'the SIGHUP reload is scraped',
    });

    const metrics = await fetch(`${prox.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    exposition = await metrics.text();
  });

  afterAll(async () => {
    const report = await traffic?.stop();
    if (report !== undefined && report.errors.length > 0) console.warn(`traffic errors: ${report.errors.slice(0, 5).join('; ')}`);
    await stopChild(prometheus);
    await prox?.stop();
    for (const backend of backends) await backend.close();
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  // -------------------------------------------------------------------------------------------

  it('the dashboard is an importable Grafana dashboard', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    const panels = allPanels(dashboard);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const names = dashboard.templating.list.map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(['datasource', 'route', 'backend']));
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of panels) {
      expect(panel.gridPos).toBeDefined();
      if (panel.type === 'row') continue;
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.expr?.trim()).toBeTruthy();
    }
    // Every panel the monitoring guide promises.
    const used = new Set(panelQueries(dashboard).flatMap((q) => metricNamesIn(q.expr)));
    for (const metric of [
      'prox_requests_total',
      'prox_request_duration_seconds_bucket',
      'prox_upstream_duration_seconds_bucket',
      'prox_upstream_requests_total',
      'prox_backend_health_status',
      'prox_circuit_breaker_state',
      'prox_upstream_retries_total',
      'prox_active_connections',
      'prox_in_flight_requests',
      'prox_config_reloads_total',
      'prox_rate_limit_hits_total',
      'prox_tls_certificate_expiry_seconds',
      'prox_build_info',
      'prox_config_info',
    ]) {
      expect(used).toContain(metric);
    }
  });

  it('the liveness and readiness endpoints answer as docs/monitoring.md says', async () => {
    const health = await fetch(`${prox.adminUrl}/healthz`);
    expect({ status: health.status, body: await health.json() }).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await fetch(`${prox.adminUrl}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { ready: true, problems: [], details: [] } });
  });

  it('the shipped Prometheus config and alerting rules pass promtool, and the rules unit tests pass', async () => {
    const rules = await runTool('promtool', ['check', 'rules', ALERTS_FILE]);
    expect({ code: rules.code, stderr: rules.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rules.stdout).toContain(`SUCCESS: ${alerts.length} rules found`);
    const config = await runTool('promtool', ['check', 'config', PROMETHEUS_CONFIG]);
    expect({ code: config.code, stderr: config.stderr }).toEqual({ code: 0, stderr: '' });
    const unit = await runTool('promtool', ['test', 'rules', ALERTS_TEST_FILE]);
    expect({ code: unit.code, output: unit.code === 0 ? '' : unit.stdout + unit.stderr }).toEqual({ code: 0, output: '' });
    // Every alert has a unit test.
    const tested = readFileSync(ALERTS_TEST_FILE, 'utf8');
    for (const rule of alerts) expect(tested).toContain(`alertname: ${rule.alert}`);
  });

  it('every alert has a for:, a severity and a summary and description', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(5);
    for (const rule of alerts) {
      expect({ alert: rule.alert, for: rule.for }).toEqual({ alert: rule.alert, for: expect.stringMatching(/^\d+[smh]$/) });
      expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
    }
  });

  it('the exposition passes promtool check metrics without a complaint', async () => {
    const result = await runTool('promtool', ['check', 'metrics'], exposition);
    const complaints = (result.stdout + result.stderr).split('\n').map((l) => l.trim()).filter((l) => l !== '');
    expect(complaints).toEqual([]);
    // promtool exits 3 when it printed lint problems, 0 when there are none.
    expect(result.code).toBe(0);
    // The per-type gauges stay; only the misnamed sums are gone.
    expect(exposition).toMatch(/^# TYPE nodejs_active_handles gauge$/m);
    expect(exposition).not.toMatch(/^nodejs_active_(handles|requests|resources)_total/m);
  });

  it('the exposition matches docs/metrics.md: every metric, its type and its labels', () => {
    const documented = documentedMetrics();
    const types = new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    const families = new Set(types.keys());
    // Same set of metric families, same types.
    expect([...families].sort()).toEqual([...documented.keys()].sort());
    for (const [name, type] of types) expect({ name, type }).toEqual({ name, type: documented.get(name)!.type });
    // Each series carries exactly the documented labels.
    const seen = new Set<string>();
    for (const line of exposition.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
      expect(match).not.toBeNull();
      const family = familyOf(match![1], families);
      const labels = [...(match![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)].map((m) => m[1]).filter((l) => l !== 'le' && l !== 'quantile');
      expect({ family, labels: labels.sort() }).toEqual({ family, labels: documented.get(family)!.labels });
      seen.add(family);
    }
    // Features not built yet: a TYPE line at most, no series.
    for (const name of Object.keys(METRICS_OF_FEATURES_NOT_BUILT)) expect(seen.has(name)).toBe(false);
  });

  it('label values follow the metric contract', () => {
    const values = (metric: string, label: string): Set<string> => {
      const out = new Set<string>();
      for (const m of exposition.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} `, 'gm'))) {
        const value = new RegExp(`(?:^|,)${label}="((?:[^"\\\\]|\\\\.)*)"`).exec(m[1]);
        if (value !== null) out.add(value[1]);
      }
      return out;
    };
    const subset = (actual: Set<string>, allowed: string[]) => expect([...actual].filter((v) => !allowed.includes(v))).toEqual([]);
    const routesAndNone = [...routeKeys, '__none__'];
    subset(values('prox_requests_total', 'route'), routesAndNone);
    expect(values('prox_requests_total', 'route')).toEqual(new Set(routesAndNone));
    subset(values('prox_requests_total', 'method'), ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'OTHER']);
    // 499 (as in nginx) stands for a client that went away before any status was sent.
    for (const status of values('prox_requests_total', 'status')) expect(status).toMatch(/^[1-5][0-9][0-9]$/);
    for (const status of ['200', '301', '404', '500']) expect(values('prox_requests_total', 'status')).toContain(status);
    const backendUrls = [steady.url, flaky.url];
    for (const metric of ['prox_upstream_requests_total', 'prox_upstream_duration_seconds_bucket', 'prox_backend_health_status', 'prox_circuit_breaker_state', 'prox_backend_state_transitions_total']) {
      subset(values(metric, 'backend'), backendUrls);
      subset(values(metric, 'route'), routeKeys);
    }
    subset(values('prox_upstream_requests_total', 'outcome'), ['success', 'http_5xx', 'connect_error', 'timeout', 'reset', 'protocol', 'cancelled']);
    subset(values('prox_backend_state_transitions_total', 'to'), ['healthy', 'unhealthy', 'ejected', 'breaker_open', 'breaker_closed']);
    subset(values('prox_backend_state_transitions_total', 'reason'), ['active_check', 'passive_ejection', 'circuit_breaker']);
    expect(values('prox_backend_state_transitions_total', 'to')).toContain('breaker_open');
    expect(values('prox_config_reloads_total', 'result')).toEqual(new Set(['success', 'invalid', 'failed']));
    expect(values('prox_rate_limit_hits_total', 'route')).toEqual(new Set(routeKeys));
    // Breakers only on the route that has one; health for every backend of every forwarding route.
    expect(values('prox_circuit_breaker_state', 'route')).toEqual(new Set(['/balance']));
    expect(values('prox_backend_health_status', 'route')).toEqual(new Set(['/balance', '/api']));
    for (const m of exposition.matchAll(/^prox_circuit_breaker_state\{[^}]*\} (\S+)$/gm)) expect(['0', '1', '2']).toContain(m[1]);
    for (const m of exposition.matchAll(/^prox_backend_health_status\{[^}]*\} (\S+)$/gm)) expect(['0', '1']).toContain(m[1]);
    expect(exposition).toMatch(/^prox_build_info\{version="[^"]+",node="\d+\.\d+\.\d+"\} 1$/m);
    expect(exposition).toMatch(/^prox_config_info\{hash="[^"]+"\} 1$/m);
    // The keep-alive connections of the traffic are open while it flows.
    expect(Number(/^prox_active_connections (\S+)$/m.exec(exposition)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^prox_in_flight_requests (\S+)$/m.exec(exposition)?.[1])).toBeGreaterThanOrEqual(0);
    // The retries and histograms saw traffic.
    expect(exposition).toMatch(/^prox_upstream_retries_total\{route="\/balance"\} [1-9]/m);
    expect(exposition).toMatch(/^prox_request_duration_seconds_bucket\{le="30",route="__none__"\} [1-9]/m);
  });

  it('every dashboard query and template variable evaluates in Prometheus and returns series', async () => {
    const variables = dashboard.templating.list;
    const queries = panelQueries(dashboard);
    const annotations = dashboard.annotations.list.filter((a) => a.expr !== undefined).map((a) => ({ where: `annotation "${a.name}"`, expr: a.expr! }));
    const notBuilt = (expr: string) => metricNamesIn(expr).filter((name) => name in METRICS_OF_FEATURES_NOT_BUILT);

    /** Resolves the query variables in order (later ones use earlier ones, as in Grafana). */
    async function resolveVariables(choose: (name: string, options: string[]) => 'all' | string[]): Promise<{ values: Record<string, string>; options: Record<string, string[]> }> {
      const values: Record<string, string> = { ...GRAFANA_BUILTINS };
      const options: Record<string, string[]> = {};
      for (const variable of variables) {
        if (variable.type === 'datasource') {
          values[variable.name] = 'prometheus-uid';
          continue;
        }
        expect(variable.type).toBe('query');
        expect(variable.multi && variable.includeAll).toBe(true);
        const definition = variable.definition ?? (typeof variable.query === 'string' ? variable.query : variable.query!.query);
        const parsed = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(interpolate(definition, values));
        expect({ variable: variable.name, parsed: parsed !== null }).toEqual({ variable: variable.name, parsed: true });
        const response = await api<string[]>(`/api/v1/label/${parsed![2]}/values?match[]=${encodeURIComponent(parsed![1])}`);
        expect({ variable: variable.name, status: response.status, error: response.error }).toEqual({ variable: variable.name, status: 'success', error: undefined });
        expect({ variable: variable.name, options: response.data.length > 0 }).toEqual({ variable: variable.name, options: true });
        options[variable.name] = response.data;
        values[variable.name] = selectionValue(variable, choose(variable.name, response.data), response.data);
      }
      return { values, options };
    }

    const failures: string[] = [];
    async function evaluateAll(selection: string, values: Record<string, string>): Promise<void> {
      for (const { where, expr } of [...queries, ...annotations]) {
        const concrete = interpolate(expr, values);
        const response = await query(concrete);
        if (response.status !== 'success') {
          failures.push(`[${selection}] ${where}: ${response.errorType}: ${response.error}\n  ${concrete}`);
          continue;
        }
        const count = response.data.resultType === 'vector' ? response.data.result.length : 1;
        const missing = notBuilt(expr);
        if (missing.length > 0) {
          if (count !== 0) failures.push(`[${selection}] ${where}: expected no series (${missing.join(', ')} not built yet), got ${count}`);
        } else if (count === 0 && !where.startsWith('annotation')) {
          failures.push(`[${selection}] ${where}: no series\n  ${concrete}`);
        }
      }
    }

    // As a dashboard opens: every selector on All.
    const all = await resolveVariables(() => 'all');
    expect(all.options.route).toEqual(expect.arrayContaining([...routeKeys, '__none__']));
    expect(all.options.backend).toEqual(expect.arrayContaining([steady.url, flaky.url]));
    await evaluateAll('all', all.values);
    // One route and one backend picked (regex-escaped by Grafana: the URL's dots).
    const picked = await resolveVariables((name, options) => {
      if (name === 'route') return ['/balance'];
      if (name === 'backend') return [flaky.url];
      return [options[0]];
    });
    expect(picked.options.backend).toContain(flaky.url);
    expect(picked.values.backend).toContain('\\\\.');
    await evaluateAll('route=/balance backend=flaky', picked.values);
    expect(failures).toEqual([]);
  });

  it('every alert expression evaluates, and every metric it uses has series', async () => {
    const failures: string[] = [];
    for (const rule of alerts) {
      const response = await query(rule.expr);
      if (response.status !== 'success') failures.push(`${rule.alert}: ${response.errorType}: ${response.error}`);
      const names = metricNamesIn(rule.expr);
      if (names.length === 0) failures.push(`${rule.alert}: no metric found in ${rule.expr}`);
      for (const name of names) {
        const series = await seriesOf(name);
        if (name in METRICS_OF_FEATURES_NOT_BUILT) {
          if (series.length !== 0) failures.push(`${rule.alert}: ${name} has series now; remove it from METRICS_OF_FEATURES_NOT_BUILT`);
        } else if (series.length === 0) {
          failures.push(`${rule.alert}: no series for ${name}`);
        }
      }
    }
    expect(failures).toEqual([]);

    // Prometheus loaded and evaluated every rule without error.
    const rules = await api<{ groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] }>('/api/v1/rules');
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(alerts.map((a) => a.alert).sort());
    await pollUntil(
      async () => {
        const now = await api<{ groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] }>('/api/v1/rules');
        const evaluated = now.data.groups.flatMap((g) => g.rules);
        return evaluated.every((r) => !r.lastEvaluation.startsWith('0001-')) ? evaluated : null;
      },
      { attempts: 50, pauseMs: 100, what: 'every rule evaluated once' },
    ).then((evaluated) => {
      expect(evaluated.filter((r) => r.health !== 'ok' || (r.lastError ?? '') !== '').map((r) => `${r.name}: ${r.health} ${r.lastError}`)).toEqual([]);
    });

    // The /api route answers half its requests with 500: its error-ratio alert is pending.
    await pollUntil(
      async () => {
        const active = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
        return active.data.alerts.some((a) => a.labels.alertname === 'ProxHighErrorRatio' && a.labels.route === '/api' && a.state === 'pending');
      },
      { attempts: 150, pauseMs: 100, what: 'ProxHighErrorRatio pending for /api' },
    );
  });

  it('the certificate-expiry panel and the 14-day alert see the served certificate', async () => {
    const panel = panelQueries(dashboard).find((q) => q.expr.includes('prox_tls_certificate_expiry_seconds'));
    expect(panel).toBeDefined();
    const shown = await query(interpolate(panel!.expr, { ...GRAFANA_BUILTINS, instance: '.*', datasource: 'prometheus-uid' }));
    expect(shown.status).toBe('success');
    const series = shown.data.resultType === 'vector' ? shown.data.result : [];
    expect(series.map((sample) => sample.metric.domain)).toEqual(['prometheus.test']);
    const leftDays = Number(series[0].value[1]) / 86400;
    expect(leftDays).toBeGreaterThan(CERTIFICATE_DAYS - 1);
    expect(leftDays).toBeLessThanOrEqual(CERTIFICATE_DAYS);

    const soon = alerts.find((rule) => rule.alert === 'ProxTLSCertificateExpiringSoon')!;
    const critical = alerts.find((rule) => rule.alert === 'ProxTLSCertificateExpiryCritical')!;
    const firing = await query(soon.expr);
    expect(firing.data.resultType === 'vector' ? firing.data.result.map((sample) => sample.metric.domain) : null).toEqual(['prometheus.test']);
    const quiet = await query(critical.expr);
    expect(quiet.data.resultType === 'vector' ? quiet.data.result : null).toEqual([]);
    // Prometheus itself evaluates the rule: pending (it has a for:).
    await pollUntil(
      async () => {
        const active = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
        return active.data.alerts.some((a) => a.labels.alertname === 'ProxTLSCertificateExpiringSoon' && a.labels.domain === 'prometheus.test' && a.state === 'pending');
      },
      { attempts: 150, pauseMs: 100, what: 'ProxTLSCertificateExpiringSoon pending for prometheus.test' },
    );
  });
});
