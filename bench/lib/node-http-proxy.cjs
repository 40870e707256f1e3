// node-http-proxy peer: round robin over the two backends, keep-alive upstream agent.
const http = require('node:http');
const httpProxy = require('http-proxy');

const [port, ...backends] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ agent });
proxy.on('error', (_error, _req, res) => {
  if (!res.headersSent) res.writeHead(502);
  res.end();
});
let next = 0;
const server = http.createServer((req, res) => {
  const target = `http://127.0.0.1:${backends[next++ % backends.length]}`;
  proxy.web(req, res, { target });
});
server.keepAliveTimeout = 60_000;
server.maxHeadersCount = 100;
server.listen(port, '127.0.0.1');
