// Real WebSocket peers for tests: an echo upstream on 127.0.0.1:0 (a `ws` server that records every TCP connection
// and handshake it saw, and answers plain requests too) and a `ws` client that reports a refused handshake's status.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import { startGateway, type GatewayUnderTest } from './gateway-under-test.js';
import { hsAuth } from './tokens.js';

export interface EchoUpstream {
  readonly url: string;
  readonly port: number;
  /** TCP connections accepted: 0 proves no byte of a refused handshake reached the upstream. */
  readonly connections: () => number;
  /** The handshakes that reached it: target and headers. */
  readonly handshakes: { readonly target: string; readonly headers: IncomingMessage['headers'] }[];
  /** Plain (non-upgrade) requests that reached it. */
  readonly plain: { readonly method: string; readonly target: string; readonly headers: IncomingMessage['headers'] }[];
  /** The upstream's side of every socket it accepted. */
  readonly sockets: WebSocket[];
  close(): Promise<void>;
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  let connections = 0;
  const handshakes: EchoUpstream['handshakes'] = [];
  const plain: EchoUpstream['plain'] = [];
  const sockets: WebSocket[] = [];
  const server = createServer((req, res) => {
    plain.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ plain: true }));
  });
  server.on('connection', () => connections++);
  const wss = new WebSocketServer({ server, handleProtocols: (offered) => (offered.has('chat') ? 'chat' : false) });
  wss.on('connection', (socket, req) => {
    handshakes.push({ target: req.url ?? '', headers: req.headers });
    sockets.push(socket);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    handshakes,
    plain,
    sockets,
    async close() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An echo upstream and a gateway in front of it (YAML given the upstream's URL), both closed when the test ends. */
export async function gatewayWithEchoUpstream(t: Test, yaml: (upstreamUrl: string) => string): Promise<{ gw: GatewayUnderTest; upstream: EchoUpstream }> {
  const upstream = await startEchoUpstream();
  const gw = await startGateway(yaml(upstream.url));
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  return { gw, upstream };
}

/** The config most WebSocket tests share: HS256 tokens whose scopes grant, and /chat/** needing chat:join. */
export function chatConfig(upstreamUrl: string, extra = ''): string {
  return `
${hsAuth()}rbac: { tokenScopes: true }
${extra}upstreams:
  chat: { url: "${upstreamUrl}" }
routes:
  - { path: /chat/**, upstream: chat, permission: chat:join, websocket: true }
`;
}

/** An open socket (status 101), or a refused handshake's status and body (no socket). */
export interface Handshake {
  readonly socket: WebSocket | undefined;
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** Opens a WebSocket through the gateway: the open socket, or the status and body of the refusal. */
export function openSocket(url: string, jwt?: string, options: ClientOptions & { readonly protocols?: string[] } = {}): Promise<Handshake> {
  const { protocols, ...rest } = options;
  const headers = { ...(jwt === undefined ? {} : { authorization: `Bearer ${jwt}` }), ...rest.headers };
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), protocols ?? [], { ...rest, headers });
    socket.once('upgrade', (res) => socket.once('open', () => resolve({ socket, status: 101, headers: res.headers, body: '' })));
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ socket: undefined, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    socket.once('error', reject);
  });
}

/** Resolves when the socket closes: the close code, reason, and performance.now() at that moment. */
export function closed(socket: WebSocket): Promise<{ readonly code: number; readonly reason: string; readonly at: number }> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() })));
}

/** The next message on a socket, as text. */
export function nextMessage(socket: WebSocket): Promise<{ readonly text: string; readonly binary: boolean }> {
  return new Promise((resolve) => socket.once('message', (data, isBinary) => resolve({ text: Buffer.from(data as Buffer).toString(), binary: isBinary })));
}
