// Upstreams for traffic tests that record every request the moment its head arrives (an aborted upload is still
// seen): a well-behaved echo server, and a hostile raw-TCP server that answers each request with a script of bytes,
// pauses, cuts and silences chosen by the test.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';

export interface SeenRequest {
  readonly upstream: string;
  readonly method: string;
  /** The request-target exactly as it arrived. */
  readonly target: string;
  /** Header names in lower case; a repeated header keeps every value. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** Body bytes received so far, and whether the body ended. */
  bodyBytes: number;
  complete: boolean;
}

export interface SeeingUpstream {
  readonly name: string;
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

function headerMap(raw: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) (out[raw[i]!.toLowerCase()] ??= []).push(raw[i + 1]!);
  return out;
}

/** Answers every request, once its body has ended, with 200 and `{"upstream","target"}` (which carries the query). */
export async function startEchoUpstream(name: string): Promise<SeeingUpstream> {
  const seen: SeenRequest[] = [];
  const server = createHttpServer((req, res) => {
    const record: SeenRequest = { upstream: name, method: req.method ?? '', target: req.url ?? '', headers: headerMap(req.rawHeaders), bodyBytes: 0, complete: false };
    seen.push(record);
    req.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('end', () => {
      record.complete = true;
      res.writeHead(200, { 'content-type': 'application/json', 'x-fz-origin': name }).end(JSON.stringify({ upstream: name, target: req.url }));
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    seen,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** One step of a hostile answer. `hang` keeps the connection open, silent, until the server closes. */
export type HostileStep =
  | { readonly write: Buffer }
  | { readonly wait: number }
  | { readonly end: true }
  | { readonly destroy: true }
  | { readonly hang: true };

/** Chooses the answer for a request head; undefined gives a plain 200. */
export type HostileScript = (request: SeenRequest) => readonly HostileStep[] | undefined;

const PLAIN: readonly HostileStep[] = [{ write: Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok') }];

/**
 * A raw-TCP upstream: parses each request head (and skips a Content-Length or chunked body), records it, then plays
 * the script the test chose for it. Connections left hanging are destroyed after `hangMs`.
 */
export async function startHostileUpstream(name: string, script: HostileScript, hangMs = 3_000): Promise<SeeingUpstream> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    let busy = false;
    const next = (): void => {
      if (busy || socket.destroyed) return;
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const head = buffered.subarray(0, headEnd).toString('latin1');
      const [line = '', ...lines] = head.split('\r\n');
      const [method = '', target = ''] = line.split(' ');
      const raw: string[] = [];
      for (const l of lines) {
        const colon = l.indexOf(':');
        if (colon > 0) raw.push(l.slice(0, colon).trim(), l.slice(colon + 1).trim());
      }
      const headers = headerMap(raw);
      let rest = buffered.subarray(headEnd + 4);
      const record: SeenRequest = { upstream: name, method, target, headers, bodyBytes: 0, complete: true };
      const length = Number(headers['content-length']?.[0] ?? 0);
      if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) {
        const end = rest.indexOf('0\r\n\r\n');
        if (end === -1) return; // wait for the whole chunked body
        record.bodyBytes = end;
        rest = rest.subarray(end + 5);
      } else if (length > 0) {
        if (rest.length < length) return;
        record.bodyBytes = length;
        rest = rest.subarray(length);
      }
      buffered = rest;
      seen.push(record);
      busy = true;
      void play(script(record) ?? PLAIN).then(() => {
        busy = false;
        next();
      });
    };
    const play = async (steps: readonly HostileStep[]): Promise<void> => {
      for (const step of steps) {
        if (socket.destroyed) return;
        if ('write' in step) socket.write(step.write);
        else if ('wait' in step) await new Promise((resolve) => setTimeout(resolve, step.wait));
        else if ('end' in step) {
          socket.end();
          return;
        } else if ('destroy' in step) {
          socket.destroy();
          return;
        } else {
          setTimeout(() => socket.destroy(), hangMs).unref();
          await new Promise((resolve) => socket.once('close', resolve));
          return;
        }
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length > 1024 * 1024) socket.destroy();
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    seen,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
