import { OffsetClock } from '../../../src/adapters/system/offset-clock';
import { withDebugClock } from '../../../src/app/admin-endpoints';
import type { AdminHandler } from '../../../src/ports/admin-server';

describe('test-only OffsetClock and POST /debug/clock', () => {
  const inner: AdminHandler = async (method, path) => ({ status: 200, contentType: 'text/plain', body: `${method} ${path}` });

  it('moves both wall and monotonic time forward by the offset', async () => {
    const clock = new OffsetClock();
    const handler = withDebugClock(inner, clock);
    const wallBefore = clock.nowMs();
    const monotonicBefore = clock.monotonicMs();
    const answer = await handler('POST', '/debug/clock', 'advance_ms=3600000');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ offset_ms: 3_600_000 });
    expect(clock.nowMs() - wallBefore).toBeGreaterThanOrEqual(3_600_000);
    expect(clock.monotonicMs() - monotonicBefore).toBeGreaterThanOrEqual(3_600_000);
  });

  it('refuses other methods and bad amounts (time never goes back), and passes every other path through', async () => {
    const clock = new OffsetClock();
    const handler = withDebugClock(inner, clock);
    expect((await handler('GET', '/debug/clock', 'advance_ms=1')).status).toBe(405);
    for (const query of ['', 'advance_ms=-5', 'advance_ms=soon']) {
      expect((await handler('POST', '/debug/clock', query)).status).toBe(400);
    }
    expect(clock.advance(0)).toBe(0);
    expect(await handler('GET', '/metrics')).toMatchObject({ status: 200, body: 'GET /metrics' });
  });
});
