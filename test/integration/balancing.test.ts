import { IncomingMessage, OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { once } from 'node:events';
import { startSwitchableBackend, SwitchableBackend } from '../support/backends';
import { send } from '../support/http-client';
import { ProxProcess, startProx } from '../support/prox-process';

/** GET on a fresh connection, optionally from a given loopback source address; resolves with the body. */
async function get(url: string, options: { headers?: OutgoingHttpHeaders; localAddress?: string } = {}): Promise<{ status: number; body: string }> {
  const req = httpRequest(url, { agent: false, headers: options.headers, localAddress: options.localAddress });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
}

/** Names of the backends that served `n` sequential GETs. */
async function sequence(url: string, n: number, options: Parameters<typeof get>[1] = {}): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await get(url, options);
    expect(response.status).toBe(200);
    names.push(response.body);
  }
  return names;
}

describe('balancing strategies end to end', () => {
  let prox: ProxProcess;
  let a: SwitchableBackend;
  let b: SwitchableBackend;
  let c: SwitchableBackend;

  beforeAll(async () => {
    a = await startSwitchableBackend('a');
    b = await startSwitchableBackend('b');
    c = await startSwitchableBackend('c');
    for (const backend of [a, b, c]) backend.setPath('/lc/slow', 'hang');
    prox = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/wrr":
    type: load_balance
    strategy: weighted_round_robin
    targets:
      - { url: "${a.url}", weight: 5 }
      - { url: "${b.url}", weight: 1 }
      - { url: "${c.url}", weight: 1 }
  "/lc": { type: load_balance, strategy: least_connections, targets: ["${a.url}", "${b.url}"] }
  "/ch":
    type: load_balance
    strategy: consistent_hash
    hash_key: { by: header, name: X-User }
    targets: ["${a.url}", "${b.url}", "${c.url}"]
  "/iph": { type: load_balance, strategy: ip_hash, targets: ["${a.url}", "${b.url}", "${c.url}"] }
  "/random": { type: load_balance, strategy: random, targets: ["${a.url}", "${b.url}", "${c.url}"] }
  "/p2c": { type: load_balance, strategy: power_of_two, targets: ["${a.url}", "${b.url}", "${c.url}"] }
`);
  });

  afterAll(async () => {
    await prox?.stop();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('weighted_round_robin 5/1/1 serves the smooth sequence a a b a c a a, twice over 14 requests', async () => {
    const served = await sequence(`${prox.baseUrl}/wrr/x`, 14);
    expect(served).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a', 'a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('least_connections sends new requests to the idle backend while the other holds a slow one', async () => {
    const slow = get(`${prox.baseUrl}/lc/slow`);
    // Wait until the slow request is held by one of the two backends.
    const heldByA = a.waitFor('/lc/slow').then(() => a);
    const heldByB = b.waitFor('/lc/slow').then(() => b);
    // The loser's wait runs out later; that is expected, not an error.
    heldByA.catch(() => undefined);
    heldByB.catch(() => undefined);
    const holder = await Promise.race([heldByA, heldByB]);
    const idle = holder === a ? 'b' : 'a';
    expect(holder.heldCount).toBe(1);
    expect(await sequence(`${prox.baseUrl}/lc/fast`, 6)).toEqual(Array(6).fill(idle));

    holder.releaseHeld();
    const released = await slow;
    expect(released.status).toBe(200);
    expect(released.body).toBe(holder.name);
    // Both idle again: traffic goes to both.
    expect(new Set(await sequence(`${prox.baseUrl}/lc/fast`, 4))).toEqual(new Set(['a', 'b']));
  });

  it('consistent_hash by header keeps a key on one backend and spreads different keys', async () => {
    const url = `${prox.baseUrl}/ch/x`;
    const alice = await sequence(url, 20, { headers: { 'x-user': 'alice' } });
    expect(new Set(alice).size).toBe(1);

    const owners = new Map<string, string>();
    for (let user = 0; user < 20; user++) {
      const [owner] = await sequence(url, 1, { headers: { 'x-user': `user-${user}` } });
      owners.set(`user-${user}`, owner);
    }
    expect(new Set(owners.values()).size).toBeGreaterThanOrEqual(2);
    // Asked again, every key goes back to its backend.
    for (const [user, owner] of owners) expect(await sequence(url, 1, { headers: { 'x-user': user } })).toEqual([owner]);
  });

  it('ip_hash keeps a client address on one backend and spreads different addresses', async () => {
    const url = `${prox.baseUrl}/iph/x`;
    const loopback = await sequence(url, 20);
    expect(new Set(loopback).size).toBe(1);

    // Other loopback source addresses (all of 127.0.0.0/8 is local on Linux) are other clients.
    const owners = new Map<string, string>();
    for (let host = 2; host < 22; host++) {
      const address = `127.0.0.${host}`;
      const served = await sequence(url, 3, { localAddress: address });
      expect(new Set(served).size).toBe(1);
      owners.set(address, served[0]);
    }
    expect(new Set(owners.values()).size).toBeGreaterThanOrEqual(2);
  });

  it.each(['random', 'p2c'])('%s serves from all backends within a bounded number of requests', async (route) => {
    const seen = new Set<string>();
    for (let i = 0; i < 100 && seen.size < 3; i++) {
      const response = await get(`${prox.baseUrl}/${route}/x`);
      expect(response.status).toBe(200);
      seen.add(response.body);
    }
    expect(seen).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('the default strategy', () => {
  it('round robin over three backends, in order, continuing across requests', async () => {
    const backends = [await startSwitchableBackend('x'), await startSwitchableBackend('y'), await startSwitchableBackend('z')];
    const prox = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/": { type: load_balance, targets: [${backends.map((backend) => `"${backend.url}"`).join(', ')}] }
`);
    try {
      const served: string[] = [];
      for (let i = 0; i < 6; i++) served.push((await send(`${prox.baseUrl}/r${i}`)).body);
      expect(served).toEqual(['x', 'y', 'z', 'x', 'y', 'z']);
    } finally {
      await prox.stop();
      await Promise.all(backends.map((backend) => backend.close()));
    }
  });
});
