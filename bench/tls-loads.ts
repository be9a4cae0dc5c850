// The three loads of `npm run bench:tls`, as data, each sent unchanged to every TLS contender: HTTPS/1.1 keep-alive
// and HTTP/2 from h2load, and a new connection per request (a full handshake each) from Node's tls client.
import { handshakes } from './handshakes.js';
import { h2load } from './h2load.js';

/** One measured run's figures, whichever generator made the load. */
export interface TlsLoadResult {
  /** Requests per second; for the handshake load also connections (one request each) per second. */
  readonly perSecond: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  /** TLS version, cipher and ALPN protocol the connections agreed on. */
  readonly negotiated: string;
  /** CPU microseconds the load generator spent per request, when it runs in this process. */
  readonly clientCpuPerRequest?: number;
}

export interface TlsLoad {
  readonly name: string;
  /** How the load is made, for the report. */
  readonly shape: string;
  run(url: string, durationSeconds: number): Promise<TlsLoadResult>;
}

/** The shipped config's public route (`auth: none`): this bench measures TLS and HTTP/2, not the checks `npm run bench` measures. */
export const TLS_PATH = '/public/hello';

// Many streams on few connections, the way browsers and gRPC clients use h2: 320 requests in flight.
const H2_CLIENTS = 32;
const H2_STREAMS = 10;
/**
 * The one cipher suite every client offers. Left to choose, nginx takes the client's first (AES-128 from h2load) and
 * Node, under permgate, its own first (AES-256): the same suite for all keeps the comparison about the servers.
 */
export const TLS_CIPHER_SUITE = 'TLS_AES_128_GCM_SHA256';

/** The rate assumed for a target's first h2load run, before any run has measured it. */
const FIRST_GUESS_PER_SECOND = 2_000;

/**
 * h2load runs a number of requests (`-n`) sized from the target's last measured rate to last about the asked time,
 * not a duration (`-D`): at the end of a `-D` run h2load closes its connections with their streams still open. What
 * a gateway does with cancelled streams is for a test, not for a throughput figure (at 53cbc8e, 320 streams cut off
 * that way left permgate answering no request afterwards).
 */
function requestsFor(rates: Map<string, number>, key: string, seconds: number, inFlight: number): number {
  return Math.max(inFlight, Math.round((rates.get(key) ?? FIRST_GUESS_PER_SECOND) * seconds));
}

/** A target that did not speak the protocol asked for would be measured doing something else. */
function expectProtocol(result: TlsLoadResult, alpn: string): TlsLoadResult {
  if (!result.negotiated.endsWith(` ${alpn}`)) throw new Error(`asked for ${alpn}, the connections agreed on: ${result.negotiated}`);
  return result;
}

/** `h2loadBinary` undefined: h2load is not installed, and only the handshake load runs. */
export function tlsLoads(connections: number, ca: string, h2loadBinary: string | undefined): TlsLoad[] {
  const loads: TlsLoad[] = [];
  if (h2loadBinary) {
    const binary = h2loadBinary;
    const rates = new Map<string, number>();
    const viaH2load = async (url: string, h1: boolean, clients: number, streams: number, durationSeconds: number): Promise<TlsLoadResult> => {
      const key = `${h1 ? 'h1' : 'h2'} ${url}`;
      const requests = requestsFor(rates, key, durationSeconds, clients * streams);
      const r = await h2load(binary, url + TLS_PATH, { h1, clients, streams, requests, cipherSuite: TLS_CIPHER_SUITE, timeoutSeconds: durationSeconds * 10 + 30 });
      rates.set(key, r.requestsPerSecond);
      return expectProtocol({ perSecond: r.requestsPerSecond, requests: r.requests, errors: r.failed, non2xx: r.non2xx, negotiated: r.negotiated }, h1 ? 'http/1.1' : 'h2');
    };
    loads.push(
      { name: 'HTTPS/1.1', shape: `h2load --h1 -n, ${connections} keep-alive connections`, run: (url, seconds) => viaH2load(url, true, connections, 1, seconds) },
      { name: 'HTTP/2', shape: `h2load -n, ${H2_CLIENTS} connections x ${H2_STREAMS} streams`, run: (url, seconds) => viaH2load(url, false, H2_CLIENTS, H2_STREAMS, seconds) },
    );
  }
  loads.push({
    name: 'handshakes',
    shape: `a new connection per request: full handshake, no resumption, ${connections} at a time, Node's tls client`,
    async run(url, durationSeconds) {
      const r = await handshakes(url, { concurrency: connections, durationSeconds, ca, cipherSuite: TLS_CIPHER_SUITE, path: TLS_PATH });
      if (r.exchanges === 0) throw new Error(`no connection completed in ${durationSeconds} s: ${r.errors} failed, the first with: ${r.firstError ?? '?'}`);
      const result = { perSecond: r.perSecond, requests: r.exchanges, errors: r.errors, non2xx: r.non2xx, negotiated: r.negotiated, clientCpuPerRequest: r.clientCpuPerExchange };
      return expectProtocol(result, 'http/1.1');
    },
  });
  return loads;
}
