import 'reflect-metadata';
import { Container } from 'inversify';
import { PinoLogger } from '../adapters/logging/pino-logger';
import { MathRandomSource } from '../adapters/system/math-random-source';
import { trustPredicateFor } from '../adapters/system/proxy-addr-trust';
import { SystemClock } from '../adapters/system/system-clock';
import { OffsetClock } from '../adapters/system/offset-clock';
import { MemoryRateLimitStore } from '../adapters/memory/memory-rate-limit-store';
import { RateLimitStore } from '../ports/rate-limit-store';
import { NodeAdminServer } from '../adapters/admin/node-admin-server';
import { AccessLog } from '../adapters/logging/access-log';
import { PrometheusMetrics } from '../adapters/prometheus/prometheus-metrics';
import { countEstablishedConnections } from '../adapters/system/proc-connection-counter';
import { PROX_VERSION } from '../version';
import { AdminServer } from '../ports/admin-server';
import { AccessLogSink, ProxMetrics } from '../ports/metrics';
import { UndiciHealthProbe } from '../adapters/undici/undici-health-probe';
import { UndiciUpstreamClient } from '../adapters/undici/undici-upstream-client';
import { Http1UpstreamClient } from '../adapters/http1-client/http1-upstream-client';
import { ProxServer } from '../app/prox-server';
import { Clock } from '../ports/clock';
import { HealthProbe } from '../ports/health-probe';
import { HttpServer } from '../ports/http-server';
import { Logger } from '../ports/logger';
import { RandomSource } from '../ports/random';
import { UpstreamClient } from '../ports/upstream-client';
import { StaticFileSystem } from '../ports/static-files';
import { NodeStaticFileSystem } from '../adapters/fs/node-static-file-system';
import { createInboundServer, resolveEngine } from './http-server-choice';
import type { EngineSetting } from '../core/model';
import { ZlibResponseCompressor } from '../adapters/compression/zlib-compressor';
import { BcryptPasswordVerifier } from '../adapters/auth/bcrypt-password-verifier';
import { UndiciAuthService } from '../adapters/undici/undici-auth-service';
import { UndiciKeySetFetcher } from '../adapters/undici/undici-key-set-fetcher';
import { JoseTokenVerifier } from '../adapters/jwt/jose-token-verifier';
import { TlsHttpServer } from '../adapters/tls/tls-http-server';
import { createHttpsConnectionServer } from '../adapters/node-http/node-http-server';
import { TlsObserver } from '../ports/tls-observer';
import { acmeClientManagerClass, redisRateLimitStoreClass } from './on-demand-adapters';
import type { AcmeManagerFactory } from '../ports/managed-certificates';
import { NodeTcpProxyServer } from '../adapters/tcp/node-tcp-proxy-server';
import { withTcpConnectChecks } from '../adapters/tcp/tcp-connect-probe';
import { TcpProxyServer } from '../ports/tcp-proxy';

export const ProxServerToken = Symbol.for('prox.ProxServer');

export interface CompositionOverrides {
  readonly logger?: Logger;
  readonly random?: RandomSource;
  readonly clock?: Clock;
  /** Process environment; PROX_TEST_CLOCK=offset selects the test-only OffsetClock. */
  readonly env?: NodeJS.ProcessEnv;
  /** Worker processes answer admin requests over IPC instead of a socket of their own. */
  readonly adminServer?: AdminServer;
  /** `engine:` of the config; default `auto`. PROX_HTTP_SERVER in `env` overrides it. */
  readonly engine?: EngineSetting;
  /** Worker processes share the public port with their siblings on purpose. */
  readonly publicPortShared?: boolean;
  /** Worker processes on Node < 22.12: the TLS listening socket the supervisor bound and handed over. */
  readonly sharedTlsListener?: import('node:net').Server;
  /** ... and a way to receive the connections the supervisor accepted on it. */
  readonly adoptTlsConnection?: (adopt: (socket: import('node:net').Socket) => void) => void;
  /** Worker processes serve the certificate the supervisor's ACME manager hands them. */
  readonly acmeManagers?: AcmeManagerFactory;
}

/**
 * The one composition root: ports bound to their adapters, core objects built from ports.
 * Core classes carry no decorators; factories with explicit dependency lists wire them.
 */
export function buildContainer(overrides: CompositionOverrides = {}): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  // Test only: a clock integration tests can move forward through the admin listener.
  const engine = resolveEngine(overrides.engine ?? 'auto', overrides.env ?? process.env, overrides.publicPortShared ?? false);
  const testClock = overrides.clock === undefined && overrides.env?.PROX_TEST_CLOCK === 'offset' ? new OffsetClock() : null;
  container.bind<Clock>(Clock).toConstantValue(overrides.clock ?? testClock ?? new SystemClock());
  container.bind<RateLimitStore>(RateLimitStore).toResolvedValue(() => new MemoryRateLimitStore());
  container.bind<RandomSource>(RandomSource).toConstantValue(overrides.random ?? new MathRandomSource());
  container.bind<Logger>(Logger).toConstantValue(overrides.logger ?? new PinoLogger());
  container.bind<UpstreamClient>(UpstreamClient).toResolvedValue(() => createUpstreamClient(overrides.env ?? process.env));
  container.bind<StaticFileSystem>(StaticFileSystem).toResolvedValue(() => new NodeStaticFileSystem());
  container.bind<HealthProbe>(HealthProbe).toResolvedValue(() => withTcpConnectChecks(new UndiciHealthProbe()));
  container.bind<AdminServer>(AdminServer).toResolvedValue(() => overrides.adminServer ?? new NodeAdminServer());
  container
    .bind<ProxMetrics>(ProxMetrics)
    .toResolvedValue(() => new PrometheusMetrics({ version: PROX_VERSION, node: process.versions.node }));
  container.bind<AccessLogSink>(AccessLogSink).toResolvedValue((logger: Logger) => new AccessLog(logger), [Logger]);
  container.bind<TlsObserver>(TlsObserver).toResolvedValue((metrics: ProxMetrics) => metrics as PrometheusMetrics, [ProxMetrics]);
  container.bind<HttpServer>(HttpServer).toResolvedValue(
    (logger: Logger, tlsObserver: TlsObserver) => {
      const portShared = overrides.publicPortShared ?? false;
      // TLS listeners are terminated by node (tls + http + http2); plaintext ones by the chosen engine.
      const server = new TlsHttpServer({
        plaintext: createInboundServer(engine, logger, portShared),
        http1: (spec, handler) => createHttpsConnectionServer(spec, handler, logger),
        logger,
        observer: tlsObserver,
        portShared,
        sharedHandle: overrides.sharedTlsListener ?? null,
      });
      overrides.adoptTlsConnection?.((socket) => server.adopt(socket));
      return server;
    },
    [Logger, TlsObserver],
  );
  container.bind<TcpProxyServer>(TcpProxyServer).toResolvedValue(
    (metrics: ProxMetrics, accessLog: AccessLogSink) =>
      new NodeTcpProxyServer({
        connectionOpened: (listener) => (metrics as PrometheusMetrics).connectionOpened(listener),
        connectionClosed: (record) => {
          (metrics as PrometheusMetrics).connectionClosed(record);
          (accessLog as AccessLog).tcpConnectionClosed(record);
        },
      }),
    [ProxMetrics, AccessLogSink],
  );
  container
    .bind<ProxServer>(ProxServerToken)
    .toResolvedValue(
      (
        httpServer: HttpServer,
        upstreams: UpstreamClient,
        files: StaticFileSystem,
        healthProbe: HealthProbe,
        logger: Logger,
        clock: Clock,
        random: RandomSource,
        adminServer: AdminServer,
        metrics: ProxMetrics,
        accessLog: AccessLogSink,
        rateLimits: RateLimitStore,
        tcpProxy: TcpProxyServer,
      ) =>
        new ProxServer({
          httpServer,
          upstreams,
          files,
          healthProbe,
          logger,
          clock,
          random,
          trustPredicate: trustPredicateFor,
          adminServer,
          metrics,
          accessLog,
          rateLimits,
          testClock,
          engine,
          connectionCounter: countEstablishedConnections,
          acmeManagers: overrides.acmeManagers ?? ((settings, hooks) => new (acmeClientManagerClass())(settings, { clock, logger, random, observer: (metrics as PrometheusMetrics).acme }, hooks)),
          sharedRateLimitStores: (spec, local) =>
            new (redisRateLimitStoreClass())(
              // A Kubernetes Secret (or any secret store) can hold the URL with its password instead of the config file.
              { ...spec, url: (overrides.env ?? process.env).PROX_RATE_LIMIT_STORE_URL || spec.url },
              { clock, logger, observer: metrics as PrometheusMetrics, local },
            ),
          tcpProxy,
          compressor: new ZlibResponseCompressor(),
          passwords: new BcryptPasswordVerifier(),
          authService: new UndiciAuthService(),
          keySets: new UndiciKeySetFetcher(),
          tokens: new JoseTokenVerifier(),
        }),
      [HttpServer, UpstreamClient, StaticFileSystem, HealthProbe, Logger, Clock, RandomSource, AdminServer, ProxMetrics, AccessLogSink, RateLimitStore, TcpProxyServer],
    );
  return container;
}

export function createProxServer(overrides: CompositionOverrides = {}): ProxServer {
  return buildContainer(overrides).get<ProxServer>(ProxServerToken);
}

/**
 * Proxied requests go through prox's own HTTP/1.1 client (it costs less CPU per request than
 * undici); WebSocket upgrades through undici. `PROX_UPSTREAM_CLIENT=undici` sends everything
 * through undici, the client of earlier versions.
 */
function createUpstreamClient(env: NodeJS.ProcessEnv): UpstreamClient {
  const undici = new UndiciUpstreamClient();
  return env.PROX_UPSTREAM_CLIENT === 'undici' ? undici : new Http1UpstreamClient(undici);
}
