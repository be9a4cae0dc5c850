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
    const viaH2load = async (url: string, h1: boolean, clients: number, streams: number, durationSeconds: number): Promise<TlsLoadResult> => {
      const r = await h2load(binary, url + TLS_PATH, { h1, clients, streams, durationSeconds });
      return expectProtocol({ perSecond: r.requestsPerSecond, requests: r.requests, errors: r.failed, non2xx: r.non2xx, negotiated: r.negotiated }, h1 ? 'http/1.1' : 'h2');
    };
    loads.push(
      { name: 'HTTPS/1.1', shape: `h2load --h1, ${connections} keep-alive connections`, run: (url, seconds) => viaH2load(url, true, connections, 1, seconds) },
      { name: 'HTTP/2', shape: `h2load, ${H2_CLIENTS} connections x ${H2_STREAMS} streams`, run: (url, seconds) => viaH2load(url, false, H2_CLIENTS, H2_STREAMS, seconds) },
    );
  }
  loads.push({
    name: 'handshakes',
    shape: `a new connection per request: full handshake, no resumption, ${connections} at a time, Node's tls client`,
    async run(url, durationSeconds) {
      const r = await handshakes(url, { concurrency: connections, durationSeconds, ca, path: TLS_PATH });
      if (r.exchanges === 0) throw new Error(`no connection completed in ${durationSeconds} s: ${r.errors} failed, the first with: ${r.firstError ?? '?'}`);
      const result = { perSecond: r.perSecond, requests: r.exchanges, errors: r.errors, non2xx: r.non2xx, negotiated: r.negotiated, clientCpuPerRequest: r.clientCpuPerExchange };
      return expectProtocol(result, 'http/1.1');
    },
  });
  return loads;
}
