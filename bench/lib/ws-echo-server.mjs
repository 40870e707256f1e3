// WebSocket echo backend for the ws-echo scenario: echoes every message; plain requests
// (health checks) get 200. Prints its port.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const server = createServer((_req, res) => res.end('ok'));
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
