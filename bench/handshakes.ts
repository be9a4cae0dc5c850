// Full TLS handshakes per second: every request on a new connection (handshake, one HTTP/1.1 GET, close), from Node's
// tls client, a fixed number at a time. h2load cannot be used for this: it resumes the TLS session when it reconnects
// (seen here: 290 of 300 reconnections resumed against a Node server), and a resumed handshake sends no certificate
// and signs nothing: cheaper than a new client's first connection. The client's side of a handshake cost this process
// more CPU than the server's side cost nginx (medians 1.3-1.5 ms against 0.6-0.8 ms, measured here), so the rate
// depends on the load generator as much as on the server; the server's CPU per connection compares servers.
import { connect, createSecureContext, type SecureContext } from 'node:tls';

export interface HandshakeOptions {
  /** Connections in flight at once. */
  readonly concurrency: number;
  readonly durationSeconds: number;
  /** The only certificate trusted: every handshake verifies the server's certificate, as a real client's does. */
  readonly ca: string;
  /** The only TLS 1.3 suite offered (TLS 1.2 suites are then not offered either). */
  readonly cipherSuite: string;
  readonly path: string;
}

export interface HandshakeResult {
  /** Connections completed (handshake and exchange) per second. */
  readonly perSecond: number;
  readonly exchanges: number;
  /** Connections that failed: refused, reset, timed out, or a handshake that did not verify. */
  readonly errors: number;
  readonly non2xx: number;
  /** e.g. `TLSv1.3 TLS_AES_128_GCM_SHA256 http/1.1`, from the last connection. */
  readonly negotiated: string;
  /** CPU microseconds this process (the load generator) spent per connection. */
  readonly clientCpuPerExchange: number;
  /** Why the first failed connection failed, to explain a run where none completed. */
  readonly firstError: string | undefined;
}

const EXCHANGE_TIMEOUT_MS = 10_000;

/** One connection: resolves with the response's status and what the handshake agreed on. */
function exchange(url: URL, path: string, secureContext: SecureContext): Promise<{ status: number; negotiated: string }> {
  return new Promise((resolve, reject) => {
    // No `session` is passed, so the client offers nothing to resume: each handshake is a full one.
    const socket = connect({ host: url.hostname, port: Number(url.port), secureContext, ALPNProtocols: ['http/1.1'] });
    let head = '';
    let negotiated = '';
    socket.setEncoding('latin1');
    socket.setTimeout(EXCHANGE_TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${EXCHANGE_TIMEOUT_MS} ms`)));
    socket.once('secureConnect', () => {
      if (socket.isSessionReused()) return socket.destroy(new Error('the TLS session was resumed: not a full handshake'));
      negotiated = `${socket.getProtocol()} ${socket.getCipher().standardName} ${socket.alpnProtocol || 'no ALPN'}`;
      socket.write(`GET ${path} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: string) => {
      if (head.length < 64) head += chunk;
    });
    socket.once('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
      if (Number.isInteger(status)) resolve({ status, negotiated });
      else reject(new Error(`not an HTTP/1.1 response: ${JSON.stringify(head.slice(0, 40))}`));
    });
    socket.once('error', reject);
  });
}

export async function handshakes(url: string, options: HandshakeOptions): Promise<HandshakeResult> {
  const target = new URL(url);
  // One context for all connections: a `ca` given to each connect() would parse it and build a trust store each time,
  // a cost of the load generator's that competes for the same two cores.
  const secureContext = createSecureContext({ ca: options.ca, ciphers: options.cipherSuite });
  let [exchanges, errors, non2xx, negotiated] = [0, 0, 0, ''];
  let firstError: string | undefined;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1_000;
  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      try {
        const result = await exchange(target, options.path, secureContext);
        exchanges++;
        if (result.status < 200 || result.status > 299) non2xx++;
        negotiated = result.negotiated;
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond: (exchanges * 1_000) / elapsedMs, exchanges, errors, non2xx, negotiated, clientCpuPerExchange: (cpu.user + cpu.system) / Math.max(1, exchanges), firstError };
}
