// The baseline proxy: Fastify + @fastify/http-proxy to the origin, checking nothing. What permgate costs on top of a
// plain Node proxy is the figure that matters. Runs in its own process (started by contenders.ts); sends its port over IPC.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const upstream = process.argv[2];
if (!upstream || !process.send) throw new Error('bare-proxy.js UPSTREAM_URL is started by the bench (bench/contenders.ts) with an IPC channel');
const app = Fastify({ logger: false });
await app.register(proxy, { upstream, prefix: '/', http2: false });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.send({ port: Number(new URL(address).port) });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
