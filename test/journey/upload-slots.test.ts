// Streamed uploads count against their client address's slots only while they are open (issue 10): a body the
// gateway never reads to its end (a local reply such as an open breaker's 503) gives its slot back with the reply.
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';

/** Starts an upload of `length` bytes, sends a first part, and resolves with the status the gateway answers. */
function upload(port: number, path: string, length: number): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: gw.test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`);
      socket.write(Buffer.alloc(1000, 'a'));
    });
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(seen);
      if (match) resolve({ status: Number(match[1]), socket });
    });
    socket.on('error', reject);
  });
}

t.test('a streamed upload refused by an open breaker gives its upload slot back, so the next one is not 429', async (t) => {
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(`server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  limits: { uploadsPerClient: 1 }
upstreams:
  svc: { url: "${upstream.url}", connectTimeout: 200ms, breaker: { failureRate: 50%, minRequests: 2, window: 10s, openFor: 1m } }
routes:
  - { path: /up/**, upstream: svc, auth: none, requestBuffering: false }
  - { path: /public/**, upstream: svc, auth: none }
`);
  t.teardown(() => gw.close());
  await upstream.close();
  for (let i = 0; i < 3; i++) await fetch(`${gw.url}/public/x`);
  t.equal((await fetch(`${gw.url}/public/x`)).status, 503, 'the breaker is open');
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  for (let i = 0; i < 3; i++) {
    const { status, socket } = await upload(gw.port, `/up/${i}`, 1_000_000);
    sockets.push(socket);
    t.equal(status, 503, `upload ${i + 1} gets the breaker's answer, not 429`);
  }
});
