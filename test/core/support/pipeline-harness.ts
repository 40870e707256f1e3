import { ZlibResponseCompressor } from '../../../src/adapters/compression/zlib-compressor';
import type { RouteConfig } from '../../../src/config/model';
import { NO_OBSERVER } from '../../../src/ports/request-observer';
import { RequestIdGenerator } from '../../../src/core/request-id';
import { ProxyPipeline } from '../../../src/core/proxy-pipeline';
import type { InboundRequest } from '../../../src/ports/http-server';
import type { RandomSource } from '../../../src/ports/random';
import { FakeFileSystem } from './fake-file-system';
import { ExchangeEvent, FakeExchange, FakeUpstreamClient, inboundRequest, RecordingLogger } from './fakes';
import { compileHarness, config } from './route-builders';
import { SeededRandom } from './seeded-random';

/** A ProxyPipeline over FakeUpstreamClient and FakeClock, compiled like ProxServer does. */
export function pipelineHarness(routes: RouteConfig[], random: RandomSource = new SeededRandom(42), files: FakeFileSystem = new FakeFileSystem()) {
  const upstream = new FakeUpstreamClient();
  const logger = new RecordingLogger();
  const harness = compileHarness(random);
  const pipeline = new ProxyPipeline(harness.compile(config(routes)), { upstreams: upstream, clock: harness.clock, logger, observer: NO_OBSERVER, requestIds: new RequestIdGenerator(new SeededRandom(7)), files, compressor: new ZlibResponseCompressor() });
  const send = (request: Partial<InboundRequest> = {}): FakeExchange => {
    const exchange = new FakeExchange(inboundRequest(request));
    pipeline.handle(exchange);
    return exchange;
  };
  return { upstream, logger, files, pipeline, send, clock: harness.clock, probe: harness.probe, events: harness.events, harness };
}

/** The one complete response the exchange got (fails the test otherwise). */
export function onlyResponse(exchange: FakeExchange): Extract<ExchangeEvent, { type: 'respond' }> {
  expect(exchange.eventTypes()).toEqual(['respond']);
  const event = exchange.events[0];
  if (event.type !== 'respond') throw new Error('unreachable');
  return event;
}

/** `[status, error code]` of a JSON error response. */
export function errorOf(exchange: FakeExchange): [number, string] {
  const event = onlyResponse(exchange);
  return [event.status, (JSON.parse(String(event.body)) as { error: string }).error];
}
