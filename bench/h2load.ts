// One run of h2load (nghttp2's load generator, from Debian's nghttp2-client) against an https URL, read from its text
// summary. A C load generator that speaks real HTTP/2 (streams multiplexed on each connection) and, with `--h1`,
// HTTPS/1.1 keep-alive.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface H2loadOptions {
  /** HTTP/1.1 only (ALPN offers http/1.1 alone); otherwise h2. */
  readonly h1: boolean;
  readonly clients: number;
  /** Concurrent streams per connection (h2); 1 for HTTP/1.1, which would otherwise pipeline. */
  readonly streams: number;
  /** Requests in the run (`-n`): the run ends when every one is answered, none is cut off. */
  readonly requests: number;
  /** The only TLS 1.3 suite offered. */
  readonly cipherSuite: string;
  /** The run is killed after this long. */
  readonly timeoutSeconds: number;
}

export interface H2loadResult {
  readonly requestsPerSecond: number;
  /** Requests done in the run, whatever their status. */
  readonly requests: number;
  /** Requests h2load counts as failed (errors and timeouts included). */
  readonly failed: number;
  readonly non2xx: number;
  /** What the handshake agreed on, e.g. `TLSv1.3 TLS_AES_128_GCM_SHA256 h2`. */
  readonly negotiated: string;
}

function field(summary: string, pattern: RegExp, what: string): RegExpMatchArray {
  const match = summary.match(pattern);
  if (!match) throw new Error(`h2load printed no ${what}; its output:\n${summary.slice(-2_000)}`);
  return match;
}

export async function h2load(binary: string, url: string, options: H2loadOptions): Promise<H2loadResult> {
  const args = ['-c', String(options.clients), '-m', String(options.streams), '-n', String(options.requests), '-t', '1', `--tls13-ciphers=${options.cipherSuite}`, ...(options.h1 ? ['--h1'] : []), url];
  // h2load exits non-zero when some requests failed; the summary still says how many, which is what is reported.
  const { stdout } = await promisify(execFile)(binary, args, { maxBuffer: 1 << 20, timeout: options.timeoutSeconds * 1_000 }).catch((err: { stdout?: string }) => {
    if (typeof err.stdout === 'string' && err.stdout.includes('finished in')) return { stdout: err.stdout };
    throw err;
  });
  const [, perSecond] = field(stdout, /finished in [\d.]+m?s, ([\d.]+) req\/s/, 'rate');
  const [, done, failed] = field(stdout, /requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, (\d+) failed/, 'request counts');
  const [, s3xx, s4xx, s5xx] = field(stdout, /status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/, 'status codes');
  // Nothing done: every request hung or failed; a 0 among the samples would drag the median down unexplained.
  if (Number(done) === 0) throw new Error(`no request completed; h2load's output:\n${stdout.slice(-2_000)}`);
  const negotiated = ['TLS Protocol', 'Cipher', 'Application protocol'].map((name) => stdout.match(new RegExp(`^${name}: (.+)$`, 'm'))?.[1] ?? '?').join(' ');
  return {
    requestsPerSecond: Number(perSecond),
    requests: Number(done),
    failed: Number(failed),
    non2xx: Number(s3xx) + Number(s4xx) + Number(s5xx),
    negotiated,
  };
}
