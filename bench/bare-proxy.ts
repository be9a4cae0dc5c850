// The bare contender: Fastify + @fastify/http-proxy to the origin, checking nothing. Prints its port on stdout.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: bare-proxy.js UPSTREAM_URL');
const app = Fastify({ logger: false });
await app.register(proxy, { upstream, prefix: '/', http2: false });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${new URL(address).port}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
