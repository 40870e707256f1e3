// @fastify/http-proxy peer (undici upstream). It takes one upstream: the first backend.
const fastify = require('fastify')({ logger: false, keepAliveTimeout: 60_000, bodyLimit: 1024 * 1024 * 1024 });
const [port, backend] = process.argv.slice(2).map(Number);

fastify.register(require('@fastify/http-proxy'), { upstream: `http://127.0.0.1:${backend}` });
fastify.listen({ port, host: '127.0.0.1' }).catch((error) => {
  console.error(error);
  process.exit(1);
});
