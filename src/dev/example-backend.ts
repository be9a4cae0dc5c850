// Echo backends for the quick start: each answers with what it received (method, path, identity headers), so a
// newcomer sees exactly what the gateway forwards. Not for production.
import { createServer, type Server } from 'node:http';
import type { UpstreamConfig } from '../config/types.js';

export interface ExampleBackend {
  readonly name: string;
  readonly url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Starts one echo server per upstream whose URL is on this machine. Upstreams elsewhere are left alone. */
export async function startExampleBackends(upstreams: Iterable<UpstreamConfig>): Promise<ExampleBackend[]> {
  const started: ExampleBackend[] = [];
  for (const upstream of upstreams) {
    if (!LOOPBACK.has(upstream.url.hostname)) continue;
    const server = createServer((req, res) => {
      const body = JSON.stringify({
        upstream: upstream.name,
        method: req.method,
        path: req.url,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith('x-'))),
      }, null, 2);
      res.writeHead(200, { 'content-type': 'application/json' }).end(body + '\n');
      req.resume();
    });
    const port = Number(upstream.url.port || 80);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, upstream.url.hostname.replace(/^\[|\]$/g, ''), () => resolve());
    });
    started.push({ name: upstream.name, url: `http://${upstream.url.host}`, close: () => closeServer(server) });
  }
  return started;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

