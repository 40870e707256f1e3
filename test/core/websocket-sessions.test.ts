import { ZlibResponseCompressor } from '../../src/adapters/compression/zlib-compressor';
import type { RouteConfig } from '../../src/config/model';
import { NO_OBSERVER } from '../../src/ports/request-observer';
import { RequestIdGenerator } from '../../src/core/request-id';
import { ProxyPipeline } from '../../src/core/proxy-pipeline';
import type { ForwardRoute } from '../../src/core/compiled-route';
import type { WebSocketEvents, WebSocketPlan, WebSocketSession, WebSocketUpgrade } from '../../src/ports/websocket';
import { FakeFileSystem } from './support/fake-file-system';
import { FakeExchange, FakeUpstreamClient, inboundRequest, RecordingLogger } from './support/fakes';
import { compileHarness, config, loadBalance, proxy } from './support/route-builders';
import { SeededRandom } from './support/seeded-random';

/** The engine side of one upgrade: records the plan and the closes the core asks for. */
class RecordingUpgrade implements WebSocketUpgrade, WebSocketSession {
  plan: WebSocketPlan | null = null;
  events: WebSocketEvents | null = null;
  readonly closes: [number, string][] = [];

  proxy(plan: WebSocketPlan, _upstreams: unknown, events: WebSocketEvents): WebSocketSession {
    this.plan = plan;
    this.events = events;
    return this;
  }

  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }
}

class UpgradeExchange extends FakeExchange {
  readonly upgrade = new RecordingUpgrade();
}

function setup(routes: RouteConfig[]) {
  const harness = compileHarness(new SeededRandom(1));
  const pipeline = new ProxyPipeline(harness.compile(config(routes)), {
    upstreams: new FakeUpstreamClient(),
    clock: harness.clock,
    logger: new RecordingLogger(),
    observer: NO_OBSERVER,
    requestIds: new RequestIdGenerator(new SeededRandom(7)),
    compressor: new ZlibResponseCompressor(),
    files: new FakeFileSystem(),
  });
  /** An upgrade on `path` whose upstream answered 101. */
  const openSession = (path: string): RecordingUpgrade => {
    const exchange = new UpgradeExchange(inboundRequest({ path, headers: ['upgrade', 'websocket', 'connection', 'upgrade'] }));
    pipeline.handle(exchange);
    exchange.upgrade.events!.opened();
    return exchange.upgrade;
  };
  const reload = (next: RouteConfig[]): void => pipeline.replaceConfig(harness.compile(config(next)));
  return { harness, pipeline, openSession, reload };
}

describe('WebSocket sessions across a reload', () => {
  const graceful = { websocket: { maxMessageBytes: 1 << 20, idleTimeoutSecs: 300, reloadGraceSecs: 2, allowedOrigins: null } };

  test('a session whose route and backend remain keeps running; the others close with 1001 after the grace', () => {
    const { harness, openSession, reload } = setup([proxy('/keep', 'http://a:1', graceful), proxy('/gone', 'http://a:1', graceful), proxy('/moved', 'http://a:1', graceful)]);
    const kept = openSession('/keep/x');
    const gone = openSession('/gone/x');
    const moved = openSession('/moved/x');
    reload([proxy('/keep', 'http://a:1', graceful), proxy('/moved', 'http://b:1', graceful)]);
    harness.clock.advance(1999);
    expect([kept.closes, gone.closes, moved.closes]).toEqual([[], [], []]);
    harness.clock.advance(1);
    expect(kept.closes).toEqual([]);
    expect(gone.closes).toEqual([[1001, 'route changed by reload']]);
    expect(moved.closes).toEqual([[1001, 'route changed by reload']]);
  });

  test('a route and backend back within the grace keep the session', () => {
    const { harness, openSession, reload } = setup([proxy('/ws', 'http://a:1', graceful)]);
    const session = openSession('/ws');
    reload([proxy('/ws', 'http://b:1', graceful)]);
    harness.clock.advance(1000);
    reload([proxy('/ws', 'http://a:1', graceful)]);
    harness.clock.advance(5000);
    expect(session.closes).toEqual([]);
  });

  test('a session that ended before the grace is not closed again', () => {
    const { harness, openSession, reload } = setup([proxy('/ws', 'http://a:1', graceful)]);
    const session = openSession('/ws');
    reload([]);
    session.events!.closed(1000, 'client');
    harness.clock.advance(5000);
    expect(session.closes).toEqual([]);
  });
});

describe('WebSocket sessions and least_connections', () => {
  test('an open session counts as a connection of its backend until it ends', () => {
    const { pipeline, openSession } = setup([loadBalance('/ws', ['http://a:1', 'http://b:1'], { strategy: 'least_connections' })]);
    const route = pipeline.current.routes.all()[0] as ForwardRoute;
    const first = openSession('/ws');
    const busy = first.plan!.upstream.origin;
    const busyIndex = route.pool.members.findIndex((member) => member.target.origin === busy);
    expect(route.pool.inFlight(busyIndex)).toBe(1);
    // The next sessions go to the other backend while the first runs.
    const second = openSession('/ws');
    expect(second.plan!.upstream.origin).not.toBe(busy);
    first.events!.closed(1000, 'client');
    expect(route.pool.inFlight(busyIndex)).toBe(0);
    const third = openSession('/ws');
    expect(third.plan!.upstream.origin).toBe(busy);
  });
});
