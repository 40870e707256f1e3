// Holds N idle keep-alive connections to 127.0.0.1:<port>, each after one request answered.
import { connect } from 'node:net';

const [port, count] = process.argv.slice(2).map(Number);
const BATCH = 500;
const sockets = [];
let failed = 0;

function open() {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    // Refused (error) or closed before an answer (a connection cap): counted, not waited for.
    const fail = () => {
      failed++;
      resolve();
    };
    socket.once('error', fail);
    socket.once('close', fail);
    socket.once('connect', () => socket.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n'));
    socket.once('data', () => {
      socket.off('close', fail);
      sockets.push(socket);
      resolve();
    });
  });
}

for (let i = 0; i < count; i += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, open));
}
process.stdout.write(`OPEN ${sockets.length} FAILED ${failed}\n`);
process.on('SIGTERM', () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
setInterval(() => undefined, 1 << 30);
