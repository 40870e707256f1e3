// Built-in backend when nginx is not installed: µWebSockets.js (prox's own dependency) where its
// native binary exists for this Node (20), else node:http. The fork's pure-JS fallback, which it
// picks silently on Node 22 and 24, is far too slow to stand behind a proxy under load.
const { existsSync } = require('node:fs');
const { createServer } = require('node:http');
const { dirname, join } = require('node:path');

const SMALL = 'hello world\n';
const ONE_MIB = Buffer.alloc(1024 * 1024, 'x');
const ONE_GIB = 1024 * ONE_MIB.length;

/** Same check as prox's src/adapters/hyper-express/native-uws.ts: a binary for this Node's ABI. */
function nativeUwsBinaryExists() {
  const packageDir = dirname(require.resolve('uWebSockets.js/package.json'));
  return existsSync(join(packageDir, 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`));
}

const ports = process.argv.slice(2).map(Number);
if (nativeUwsBinaryExists()) for (const port of ports) listenUws(port);
else for (const port of ports) listenNodeHttp(port);

function listenNodeHttp(port) {
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path === '/upload') {
      req.resume();
      req.on('end', () => res.end('ok'));
      return;
    }
    if (path === '/health') return res.end('ok');
    if (path === '/1m') {
      res.setHeader('content-length', ONE_MIB.length);
      return res.end(ONE_MIB);
    }
    res.end(SMALL);
  });
  server.on('error', (error) => {
    console.error(`cannot listen on ${port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1');
}

function listenUws(port) {
  const uws = require('uWebSockets.js');
  uws
    .App()
    .get('/health', (res) => res.end('ok'))
    .get('/1m', (res) => streamMib(res))
    .get('/1g', (res) => streamGib(res))
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

/** Sends 1 GiB as 1024 copies of the MiB, each chunk sent once the previous one is out (onWritable). */
function streamGib(res) {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  let sent = 0;
  const pump = () => {
    while (!aborted && sent < ONE_GIB) {
      const start = sent % ONE_MIB.length;
      const before = res.getWriteOffset();
      const [ok, done] = res.tryEnd(ONE_MIB.subarray(start), ONE_GIB);
      sent += res.getWriteOffset() - before;
      if (done) return true;
      if (!ok) return false;
    }
    return true;
  };
  res.onWritable(() => pump());
  pump();
}
