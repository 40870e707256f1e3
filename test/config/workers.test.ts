import { availableParallelism } from 'node:os';
import { resolveWorkerCount } from '../../src/app/workers/worker-count';
import { errorsOf, loadValid, yaml } from './support';

const ROUTES = ['routes:', '  "/": { type: proxy, target: "http://127.0.0.1:8080" }'];

describe('workers', () => {
  it('defaults to one process', () => {
    expect(loadValid(yaml('listen_addr: "127.0.0.1:3000"', ...ROUTES)).workers).toBe(1);
  });

  it('takes a count or auto; auto becomes the available CPUs at start', () => {
    expect(loadValid(yaml('listen_addr: "127.0.0.1:3000"', 'workers: 4', ...ROUTES)).workers).toBe(4);
    const auto = loadValid(yaml('listen_addr: "127.0.0.1:3000"', 'workers: auto', ...ROUTES)).workers;
    expect(auto).toBe('auto');
    expect(resolveWorkerCount(auto)).toBe(availableParallelism());
    expect(resolveWorkerCount(3)).toBe(3);
  });

  it.each([['0', 'must be >= 1'], ['"many"', 'not a valid workers'], ['257', 'must be <= 256']])('rejects workers: %s at its line', (value, message) => {
    const [error] = errorsOf(yaml('listen_addr: "127.0.0.1:3000"', `workers: ${value}`, ...ROUTES));
    expect(error.line).toBe(2);
    expect(error.path).toBe('/workers');
    expect(error.message).toContain(message);
  });
});
