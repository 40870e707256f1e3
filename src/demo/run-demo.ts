import { runServe } from '../cli/serve-command';
import { startDemoBackend } from './demo-backends';

/** `npm start`: the demo backends the shipped config.yaml points at, then prox on that file. */
async function main(): Promise<void> {
  const backends = await Promise.all([startDemoBackend('A', 9001), startDemoBackend('B', 9002)]);
  process.stderr.write('demo backends A (127.0.0.1:9001) and B (127.0.0.1:9002) are up\n');
  process.stderr.write('try: curl localhost:8080/balance/hello   curl localhost:8080/api/users?q=1   curl -i localhost:8080/old\n');
  const code = await runServe({ config: process.env.PROX_CONFIG ?? 'config.yaml' }, process.env);
  for (const backend of backends) backend.close();
  process.exit(code);
}

void main();
