// Load for the ws-echo scenario: `connections` WebSockets, each with one small message in
// flight (sent again as soon as its echo is back), for `seconds`. Prints { messages, errors }.
import WebSocket from 'ws';

const [url, connections, seconds, warmupSeconds] = process.argv.slice(2);
const PAYLOAD = 'x'.repeat(32);
let counting = false;
let messages = 0;
let errors = 0;
const sockets = [];
await Promise.all(
  Array.from({ length: Number(connections) }, () =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      sockets.push(ws);
      ws.on('open', () => {
        ws.send(PAYLOAD);
        resolve();
      });
      ws.on('message', () => {
        if (counting) messages++;
        ws.send(PAYLOAD);
      });
      ws.on('error', () => {
        errors++;
        resolve();
      });
    }),
  ),
);
await new Promise((resolve) => setTimeout(resolve, Number(warmupSeconds) * 1000));
counting = true;
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
counting = false;
for (const ws of sockets) ws.terminate();
console.log(JSON.stringify({ messages, errors }));
