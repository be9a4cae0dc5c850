// The minimal upstream every target forwards to: 200 and a small JSON body to every request, like
// @fastify/reply-from's benchmarks/origin.js. Runs in its own process (started by contenders.ts), so the load
// generator, the proxy and the origin do not share an event loop. Sends its port over IPC.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

if (!process.send) throw new Error('origin.js is started by the bench (bench/contenders.ts) with an IPC channel');
const body = JSON.stringify({ hello: 'world' });
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
});
// Longer than any proxy's idle timeout, so pooled upstream connections are closed by the proxy, never mid-request by us.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
// The channel closes when the bench goes away, however it went: never outlive it.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
