import { ConnectionAdmission } from '../../src/adapters/http-common/connection-admission';
import { limitsUwsIgnores } from '../../src/adapters/hyper-express/uws-limits';

describe('connection admission (max_connections, max_connections_per_ip)', () => {
  it('refuses over the per-address cap while other addresses are admitted, up to the total cap', () => {
    const admission = new ConnectionAdmission(3, 2);
    expect([admission.admit('a'), admission.admit('a'), admission.admit('a')]).toEqual([true, true, false]);
    expect([admission.admit('b'), admission.admit('c')]).toEqual([true, false]);
    expect(admission.openConnections).toBe(3);
  });

  it('admits again once connections are released, and forgets addresses with none open', () => {
    const admission = new ConnectionAdmission(null, 1);
    expect(admission.admit('a')).toBe(true);
    expect(admission.admit('a')).toBe(false);
    admission.release('a');
    expect(admission.openConnections).toBe(0);
    expect(admission.admit('a')).toBe(true);
  });

  it('is inactive without caps', () => {
    expect(new ConnectionAdmission(null, null).active).toBe(false);
    expect(new ConnectionAdmission(10, null).active).toBe(true);
  });
});

describe('limits the µWebSockets engine cannot apply', () => {
  const defaults = { maxHeaderBytes: 16384, maxHeaders: 100, maxBodyBytes: null, headerTimeoutMs: 10_000, bodyTimeoutMs: 30_000, keepaliveTimeoutMs: 10_000, maxConnections: 20_000, maxConnectionsPerIp: 1000 };

  it('lists nothing for the defaults', () => {
    expect(limitsUwsIgnores(defaults)).toEqual([]);
  });

  it('names each setting µWebSockets ignores', () => {
    const ignored = limitsUwsIgnores({ ...defaults, headerTimeoutMs: 1000, keepaliveTimeoutMs: 5000, maxConnections: 10, maxConnectionsPerIp: 2, bodyTimeoutMs: 1000 });
    expect(ignored.map((line) => line.split(' ')[0])).toEqual(['header_timeout_secs', 'keepalive_timeout_secs', 'max_connections', 'max_connections_per_ip']);
  });
});
