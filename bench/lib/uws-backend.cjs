// Built-in backend when nginx is not installed: µWebSockets.js (prox's own dependency).
const uws = require('uWebSockets.js');

const SMALL = 'hello world\n';
const ONE_MIB = Buffer.alloc(1024 * 1024, 'x');

for (const port of process.argv.slice(2).map(Number)) {
  uws
    .App()
    .get('/health', (res) => res.end('ok'))
    .get('/1m', (res) => streamMib(res))
    .post('/upload', (res) => {
      res.onAborted(() => (res.aborted = true));
      res.onData((_chunk, last) => {
        if (last && !res.aborted) res.cork(() => res.end('ok'));
      });
    })
    .any('/*', (res) => res.end(SMALL))
    .listen('127.0.0.1', port, (socket) => {
      if (!socket) {
        console.error(`cannot listen on ${port}`);
        process.exit(1);
      }
    });
}

/** Sends 1 MiB with backpressure (tryEnd / onWritable). */
function streamMib(res) {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  const offset0 = res.getWriteOffset();
  const [ok, done] = res.tryEnd(ONE_MIB, ONE_MIB.length);
  if (done || ok) return;
  res.onWritable((offset) => {
    if (aborted) return true;
    const [ok2] = res.tryEnd(ONE_MIB.subarray(offset - offset0), ONE_MIB.length);
    return ok2;
  });
}
