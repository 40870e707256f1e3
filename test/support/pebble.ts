import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { echoHandler, startBackend, type TestBackend } from './backends';
import { makeTestCa } from './certificates';
import { freeLoopbackPort } from './ports';

/** A real ACME CA: Debian's `pebble`, resolving every name to 127.0.0.1 through `pebble-challtestsrv`. */
export interface Pebble {
  /** The ACME directory URL (HTTPS, signed by `caRootPath`). */
  readonly directoryUrl: string;
  /** PEM root of Pebble's own HTTPS endpoint (for `tls.acme.ca_root_path`). */
  readonly caRootPath: string;
  /** The root Pebble signs issued certificates with (from its management endpoint). */
  issuingRoot(): Promise<string>;
  stop(): Promise<void>;
}

/** A loopback port free for both TCP and UDP (the DNS server binds both). */
async function freeDnsPort(): Promise<number> {
  for (;;) {
    const port = await freeLoopbackPort();
    const socket = createSocket('udp4');
    const bound = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    socket.close();
    if (bound) return port;
  }
}

/** Starts `command` and resolves once a line of its output contains `ready`; rejects if it exits first. */
async function startUntil(command: string, args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (text: string): void => {
      output += text;
      if (output.includes(ready)) resolve();
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${String(code)} before "${ready}":\n${output}`)));
    child.once('error', reject);
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

/**
 * Resolves once `port` accepts a connection. Pebble logs "listening" and "directory available"
 * just before it binds, so under load a client can still be refused right after those lines.
 */
async function accepting(port: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (!refused) return;
    if (attempt >= 500) throw new Error(`nothing accepts on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/**
 * Pebble validating HTTP-01 on `httpPort` and TLS-ALPN-01 on `tlsPort` of 127.0.0.1 (where the
 * prox under test listens). Its config and HTTPS certificate are written to a temp directory;
 * every port comes from the kernel. No random nonce rejection, no sleeping VA, no authz reuse.
 */
export async function startPebble(options: {
  httpPort: number;
  tlsPort: number;
  /** Lifetime of issued certificates (Pebble's default: 5 years); short ones make renewal come soon. */
  certificateValiditySeconds?: number;
}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'prox-pebble-'));
  const ca = makeTestCa();
  const endpoint = ca.issue('pebble', ['localhost', '127.0.0.1']);
  const [acmePort, managementPort, dnsPort, challManagementPort] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeDnsPort(), await freeLoopbackPort()];
  const configFile = join(dir, 'pebble.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: endpoint.certPath,
        privateKey: endpoint.keyPath,
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(options.certificateValiditySeconds === undefined ? {} : { certificateValidityPeriod: options.certificateValiditySeconds }),
      },
    }),
  );
  const dns = await startUntil(
    'pebble-challtestsrv',
    ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challManagementPort}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''],
    {},
    'Starting management server',
  );
  let pebble: ChildProcess;
  try {
    pebble = await startUntil('pebble', ['-config', configFile, '-dnsserver', `127.0.0.1:${dnsPort}`], { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' }, 'ACME directory available');
  } catch (error) {
    await stopChild(dns);
    throw error;
  }
  await Promise.all([accepting(acmePort), accepting(managementPort)]);
  const caPem = readFileSync(ca.certPath);
  return {
    directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
    caRootPath: ca.certPath,
    issuingRoot: () =>
      new Promise((resolve, reject) => {
        httpsGet({ host: '127.0.0.1', port: managementPort, path: '/roots/0', ca: caPem }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`roots/0: ${String(res.statusCode)}`))));
        }).on('error', reject);
      }),
    async stop() {
      await stopChild(pebble);
      await stopChild(dns);
    },
  };
}

/** What the prox of an ACME test needs around it: Pebble, a backend, a private storage directory. */
export interface AcmeStage {
  readonly pebble: Pebble;
  /** The root Pebble signs issued certificates with: what clients of prox trust. */
  readonly issuingRoot: string;
  readonly backend: TestBackend;
  /** A `tls.acme.storage_path` of its own (not created yet: prox creates it 0700). */
  readonly storage: string;
  /** Stops Pebble and the backend (prox is the test's to stop first). */
  stop(): Promise<void>;
}

/** Pebble validating on `httpPort`/`tlsPort`, its issuing root, an echoing backend and a fresh storage path. */
export async function startAcmeStage(options: Parameters<typeof startPebble>[0]): Promise<AcmeStage> {
  const pebble = await startPebble(options);
  const issuingRoot = await pebble.issuingRoot();
  const backend = await startBackend(echoHandler);
  return {
    pebble,
    issuingRoot,
    backend,
    storage: join(mkdtempSync(join(tmpdir(), 'prox-acme-')), 'store'),
    async stop() {
      await pebble.stop();
      await backend.close();
    },
  };
}

/** A prox config with `tls.acme` against Pebble for `names`, every route to the backend. */
export function acmeProxConfig(options: {
  readonly tlsPort: number;
  readonly names: readonly string[];
  readonly pebble: Pebble;
  readonly storage: string;
  readonly backend: TestBackend;
  /** `tls.http_listen_addr` on this port (HTTP-01, redirects); none by default. */
  readonly httpPort?: number;
  readonly workers?: number;
  readonly challenge?: string;
  readonly renewalDaysBeforeExpiry?: number;
}): string {
  const { tlsPort, names, pebble, storage, backend } = options;
  return [
    `listen_addr: "127.0.0.1:${tlsPort}"`,
    ...(options.workers === undefined ? [] : [`workers: ${options.workers}`]),
    'tls:',
    ...(options.httpPort === undefined ? [] : [`  http_listen_addr: "127.0.0.1:${options.httpPort}"`]),
    '  acme:',
    '    enabled: true',
    `    domains: [${names.join(', ')}]`,
    '    email: ops@acme.test',
    ...(options.challenge === undefined ? [] : [`    challenge: ${options.challenge}`]),
    ...(options.renewalDaysBeforeExpiry === undefined ? [] : [`    renewal_days_before_expiry: ${options.renewalDaysBeforeExpiry}`]),
    `    ca_url: "${pebble.directoryUrl}"`,
    `    ca_root_path: "${pebble.caRootPath}"`,
    `    storage_path: "${storage}"`,
    'access_log: { enabled: false }',
    'routes:',
    `  "/": { type: proxy, target: "${backend.url}" }`,
  ].join('\n');
}
