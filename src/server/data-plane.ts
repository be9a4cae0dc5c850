// The data plane's HTTP adapter: the one place Fastify meets the journey. It turns a Fastify request into a
// RequestContext, runs the journey of the Runtime in force (pipeline/journey-runner.ts), reads the body when the
// journey asks for it (read-body) and resumes it, turns a refusal into the coded JSON reply, and runs every stage's
// `finish` (forward's breaker settlement, record) once the response is over. What the journey cannot see — the
// listener's in-flight cap, drain, the Host rule, framework errors — is refused here, in the same coded shape.
import { randomUUID } from 'node:crypto';
import { createServer, ServerResponse, type IncomingMessage, type RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { ServerConfig } from '../config/types.js';
import { HTTP_METHODS } from '../config/types.js';
import { errorBody, GatewayError, isGatewayError } from '../errors.js';
import { finishJourney, runJourney, type JourneyEnd } from '../pipeline/journey-runner.js';
import type { RequestContext } from '../pipeline/request-context.js';
import type { Runtime } from '../runtime.js';
import { BodyFailure } from '../upstream/body-failure.js';
import { plainAddress, resolveClientAddress } from '../upstream/client-address.js';
import type { ClientReply, ProtocolSwitch } from '../upstream/forward-context.js';
import { readRequestBody } from '../upstream/request-body.js';
import { StreamedBody } from '../upstream/streamed-body.js';
import { UploadSlots } from '../upstream/upload-slots.js';
import { answerClientError, answerOnSocket } from './client-error.js';
import { hostHeaderCount } from './host-header.js';
import { clientSubjectOf } from '../tls/client-certificate.js';
import { authorityProblem, headerListSize } from './authority.js';

declare module 'fastify' {
  interface FastifyRequest {
    pg: RequestContext | null;
    pgRuntime: Runtime | null;
  }
}

export interface DataPlaneDeps {
  /** The server section the listener is made with (its limits are re-applied on reload by the composition root). */
  readonly server: ServerConfig;
  readonly logger: FastifyServerOptions['logger'];
  /** The Runtime new requests run under. */
  current(): Runtime;
  /**
   * Where shutdown is: `serving`; `leaving` (server.drainDelay: requests are served as usual, and every answer says
   * `Connection: close` so kept-alive clients reconnect elsewhere); `draining` (the listener stopped accepting: a
   * request arriving on a kept-alive connection gets 503 PG_SHUTTING_DOWN).
   */
  phase(): 'serving' | 'leaving' | 'draining';
  /** A Runtime that is no longer current has finished its last request. */
  released(runtime: Runtime): void;
}

export interface DataPlane {
  readonly app: FastifyInstance;
  /** Fastify's request handler, for every listener of `server.listen` (server/data-listeners.ts); after app.ready(). */
  readonly handler: RequestListener;
  /** Requests in flight on every Runtime. */
  inFlight(): number;
  /** Answers not yet begun end their connection (`Connection: close`): called as the drain delay starts. */
  closeAfterAnswers(): void;
  /**
   * A listener's 'upgrade' event: the request runs the same journey as any other. A WebSocket handshake on a
   * `websocket` route is handed to the relay once every stage passed; anything else is answered as a plain request
   * (Upgrade stripped), and its connection closes after the answer. Attached to every data-plane listener.
   */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** A request that arrived by 'upgrade': its connection, and (once counted in flight) how to end that accounting. */
interface Upgrade {
  readonly socket: Duplex;
  readonly head: Buffer;
  /** Ends the request's in-flight accounting, once: when its response closes, or when its connection left HTTP. */
  release?: () => void;
}

function withoutConnection(headers: Readonly<Record<string, string>>): Record<string, string> {
  const { connection: _, ...rest } = headers;
  return rest;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The listener's own refusals (drain, in-flight cap, Host, framework errors) are recorded under this stage name. */
const LISTENER = 'listener';

export function buildDataPlane(deps: DataPlaneDeps): DataPlane {
  let inFlight = 0;
  /** The answers of the requests in flight, so the drain delay can tell their connections to close. */
  const answers = new Set<ServerResponse>();
  let handler: RequestListener | undefined;
  /** Requests that arrived by 'upgrade', with their connection (which no HTTP parser reads any more). */
  const upgrades = new WeakMap<IncomingMessage, Upgrade>();
  const app = Fastify({
    logger: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false, // docs/security-rules.md rule 8: the client address is resolved by upstream/client-address.ts
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      // A trusted proxy's request id is kept, so one id follows the request through the whole chain.
      const sent = req.headers['x-request-id'];
      if (typeof sent === 'string' && REQUEST_ID.test(sent) && deps.current().trusted.trusts(plainAddress(req.socket.remoteAddress))) return sent;
      return randomUUID();
    },
    // The listeners are the gateway's own (data-listeners.ts: plain, TLS, HTTP/2, several at once), each calling this
    // handler; Fastify's server is never opened.
    serverFactory: (fastifyHandler) => {
      handler = fastifyHandler as RequestListener;
      return createServer();
    },
    // Requests that arrive while draining get the coded 503 below, not Fastify's own bare one.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Node's parser refused the bytes (or they came too slowly) before any route ran: the same coded JSON shape.
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, request, reply) => {
      refuse(request, reply, new GatewayError(error.code === 'FST_ERR_BAD_URL' ? 'PG_PATH_INVALID' : 'PG_BAD_REQUEST', { cause: error }), LISTENER);
    },
  });
  app.decorateRequest('pg', null);
  app.decorateRequest('pgRuntime', null);

  /** Answers with a coded error (unless a reply already went out) and records who decided it. */
  function refuse(request: FastifyRequest, reply: FastifyReply, err: GatewayError, stage: string): void {
    const ctx = request.pg ?? (request.pg = lateContext(request, reply));
    ctx.refusal ??= { stage, error: err };
    if (reply.sent) return;
    // HTTP/2 has no Connection header (RFC 9113 §8.2.2): a stream ends by itself, and Node refuses to send one.
    const headers = request.raw.httpVersionMajor === 2 && err.headers?.connection !== undefined ? withoutConnection(err.headers) : err.headers;
    reply
      .code(err.status)
      .headers({ ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': request.id })
      .send(JSON.stringify(errorBody(err, request.id)));
  }

  /** The client side of the exchange, as forwarding sees it. */
  class FastifyClientReply implements ClientReply {
    constructor(
      private readonly request: FastifyRequest,
      private readonly reply: FastifyReply,
    ) {}
    get raw() {
      return this.reply.raw;
    }
    get log() {
      return this.request.log;
    }
    ownHeaders() {
      return this.reply.getHeaders();
    }
    takeOver(): void {
      this.reply.hijack();
    }
    refuse(err: GatewayError): void {
      refuse(this.request, this.reply, err, 'forward');
    }
    send(status: number, headers: Readonly<Record<string, string>>, body: string | Buffer): void {
      void this.reply.code(status).headers(headers).send(body);
    }
    get upgrade(): ProtocolSwitch | undefined {
      const { request, reply } = this;
      const arrived = upgrades.get(request.raw);
      if (arrived === undefined) return undefined;
      return {
        request: request.raw,
        socket: arrived.socket,
        head: arrived.head,
        switched() {
          // The relay answers 101 on the socket itself: this response never writes, and the exchange is recorded now.
          reply.hijack();
          reply.raw.detachSocket(arrived.socket as Socket);
          const ctx = request.pg!;
          ctx.status = 101;
          finishJourney((request.pgRuntime ?? deps.current()).journey, ctx);
          arrived.release?.();
        },
      };
    }
  }

  function newContext(request: FastifyRequest, reply: FastifyReply, runtime: Runtime, startedAt: number | undefined): RequestContext {
    const raw = request.raw;
    const client = resolveClientAddress(raw.socket.remoteAddress, raw.headers['x-forwarded-for'], runtime.trusted);
    const sentProto = raw.headers['x-forwarded-proto'];
    return {
      requestId: request.id,
      method: raw.method ?? 'GET',
      rawTarget: raw.url ?? '',
      headers: raw.headers,
      client,
      // The gateway's own TLS, or a trusted proxy's word for its TLS.
      proto: (raw.socket as { encrypted?: boolean }).encrypted === true || (client.peerTrusted && sentProto === 'https') ? 'https' : 'http',
      startedAt,
      log: request.log,
      reply: new FastifyClientReply(request, reply),
      target: undefined,
      match: undefined,
      identity: undefined,
      token: undefined,
      clientCertificate: clientSubjectOf(raw.socket),
      identityHeaders: {},
      body: undefined,
      forwardedAt: undefined,
      upstreamDoneAt: undefined,
      responseHeaders: undefined,
      breakerCall: undefined,
      fallback: undefined,
      resumeAt: undefined,
      refusal: undefined,
      shadowRefusals: undefined,
      status: 0,
    };
  }

  /** For a request the framework refused before onRequest ran: enough to record it. */
  function lateContext(request: FastifyRequest, reply: FastifyReply): RequestContext {
    return newContext(request, reply, request.pgRuntime ?? deps.current(), undefined);
  }

  // Bodies are read as upstream/request-body.ts says: small ones whole before an upstream connection is taken, large
  // ones streamed under a per-address cap; never parsed. Fastify calls this only for requests that carry a body, and
  // only once the journey has reached read-body.
  const uploads = new UploadSlots();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    const runtime = request.pgRuntime ?? deps.current();
    const { limits, timeouts } = runtime.config.server;
    const ctx = request.pg;
    const route = ctx?.match?.route.config;
    const startedAt = ctx?.startedAt ?? performance.now();
    readRequestBody(
      payload as IncomingMessage,
      {
        limit: route?.bodyLimit ?? limits.bodySize,
        buffer: route?.requestBuffering === false ? 0 : limits.bodyBuffer,
        clock: { idle: timeouts.bodyIdle, remaining: timeouts.request - (performance.now() - startedAt) },
        client: ctx?.client.ip ?? plainAddress(request.raw.socket.remoteAddress),
        slots: uploads,
        uploadsPerClient: limits.uploadsPerClient,
      },
      done,
    );
  });

  app.addHook('onRequest', (request, reply, done) => {
    const runtime = deps.current();
    const raw = request.raw;
    request.pgRuntime = runtime;
    const phase = deps.phase();
    // A request on a kept-alive connection after the listener stopped accepting: retry elsewhere, and this connection
    // ends with it.
    if (phase === 'draining') return refuse(request, reply, new GatewayError('PG_SHUTTING_DOWN', { headers: { 'retry-after': '1', connection: 'close' } }), LISTENER);
    // During the drain delay a request is served, and its connection ends with the answer (Node writes
    // `Connection: close`): the client's next request opens a connection the load balancer sends elsewhere.
    if (phase === 'leaving' && raw.httpVersionMajor !== 2) reply.raw.shouldKeepAlive = false;
    // Bounded concurrency: refuse at arrival, cheaply, rather than queue until the process falls over.
    if (inFlight >= runtime.config.server.limits.inFlight) return refuse(request, reply, new GatewayError('PG_OVERLOADED', { headers: { 'retry-after': '1' } }), LISTENER);
    inFlight++;
    runtime.inFlight++;
    answers.add(reply.raw);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      inFlight--;
      answers.delete(reply.raw);
      if (--runtime.inFlight === 0) deps.released(runtime);
      // A streamed body nobody read to its end (a local reply, an upstream that answered early) would hold the
      // connection and its upload slot until the request deadline: the answer is out, so the rest is not wanted.
      const body = request.body;
      if (body instanceof StreamedBody) body.abandon();
    };
    // Only an upgrade needs its release by hand (its connection leaves HTTP): no per-request WeakMap entry otherwise,
    // since short-lived keys in a WeakMap cost every garbage collection on the hot path.
    const arrived = upgrades.get(raw);
    if (arrived !== undefined) arrived.release = release;
    reply.raw.once('close', release);
    const ctx = newContext(request, reply, runtime, performance.now());
    request.pg = ctx;
    reply.header('x-request-id', request.id);
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1 (two make the target authority ambiguous), at most one in 1.0.
    const hosts = hostHeaderCount(raw.rawHeaders);
    if (raw.httpVersionMajor === 2) {
      // RFC 9113 §8.3.1: `:authority`, and a Host beside it must name the same; from here on `host` is the authority.
      if (headerListSize(raw.rawHeaders) > runtime.config.server.limits.headerSize) return refuse(request, reply, new GatewayError('PG_HEADERS_TOO_LARGE'), LISTENER);
      const problem = authorityProblem(raw.headers, hosts);
      if (problem !== undefined) return refuse(request, reply, new GatewayError('PG_BAD_REQUEST', { detail: problem }), LISTENER);
    } else if (hosts !== 1 && (hosts > 1 || raw.httpVersionMinor === 1)) {
      return refuse(request, reply, new GatewayError('PG_BAD_REQUEST', { detail: hosts > 1 ? 'more than one Host header' : 'no Host header' }), LISTENER);
    }
    const end = runJourney(runtime.journey, ctx);
    if (typeof end === 'string') return ended(request, reply, ctx, end, done);
    end.then((settled) => ended(request, reply, ctx, settled, done));
  });

  function ended(request: FastifyRequest, reply: FastifyReply, ctx: RequestContext, end: JourneyEnd, done: () => void): void {
    if (end === 'refused') return refuse(request, reply, ctx.refusal!.error, ctx.refusal!.stage);
    if (end === 'passed') return; // the journey answered (forwarding resumed after the body)
    // Suspended at read-body: every stage before it passed.
    if (ctx.responseHeaders !== undefined) reply.headers(ctx.responseHeaders);
    // Now the client may send its body (http-server.ts holds `100 Continue` back until here).
    if (ctx.headers.expect !== undefined && !reply.raw.headersSent && /^100-continue$/i.test(ctx.headers.expect)) reply.raw.writeContinue();
    done();
  }

  app.route({
    method: [...HTTP_METHODS],
    url: '/*',
    handler(request, reply) {
      const ctx = request.pg;
      const runtime = request.pgRuntime;
      // Only a request whose journey reached read-body goes on; anything else is refused, never forwarded.
      if (ctx === null || ctx.resumeAt === undefined || runtime === null) return refuse(request, reply, new GatewayError('PG_ROUTE_NOT_FOUND'), LISTENER);
      const body = request.body;
      ctx.body = Buffer.isBuffer(body) || body instanceof StreamedBody ? body : undefined;
      const end = runJourney(runtime.journey, ctx, ctx.resumeAt);
      if (typeof end === 'string') return void (end === 'refused' && refuse(request, reply, ctx.refusal!.error, ctx.refusal!.stage));
      end.then((settled) => settled === 'refused' && refuse(request, reply, ctx.refusal!.error, ctx.refusal!.stage));
    },
  });
  app.setNotFoundHandler((request, reply) => refuse(request, reply, new GatewayError('PG_ROUTE_NOT_FOUND'), LISTENER));
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof BodyFailure) return refuse(request, reply, err.answer, 'read-body');
    if (isGatewayError(err)) return refuse(request, reply, err, LISTENER);
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return refuse(request, reply, new GatewayError('PG_BAD_REQUEST', { cause: err }), 'read-body');
    request.log.error({ err }, 'request failed');
    refuse(request, reply, new GatewayError('PG_INTERNAL', { cause: err }), LISTENER);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const ctx = request.pg ?? (request.pg = lateContext(request, reply));
    ctx.status = reply.statusCode;
    finishJourney((request.pgRuntime ?? deps.current()).journey, ctx);
    done();
  });

  function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node no longer watches this connection: its errors are ours to take (a reset must not crash the process).
    socket.on('error', () => socket.destroy());
    // Node's parser stopped at the head: a body after it would be read as the next protocol's bytes. A request that
    // asks to switch protocols and carries a body (an h2c upgrade of a POST) is refused rather than guessed at.
    const length = request.headers['content-length'];
    if (request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
      return answerOnSocket(socket, new GatewayError('PG_BAD_REQUEST', { detail: 'a request asking to switch protocols may not carry a body' }));
    }
    upgrades.set(request, { socket, head });
    const response = new ServerResponse(request);
    // A plain answer ends the connection: nothing after it on this socket is read as HTTP any more.
    response.shouldKeepAlive = false;
    response.assignSocket(socket as Socket);
    response.once('finish', () => socket.end());
    app.routing(request, response);
  }

  return {
    app,
    get handler() {
      return handler!;
    },
    upgrade,
    inFlight: () => inFlight,
    closeAfterAnswers() {
      for (const answer of answers) if (!answer.headersSent) answer.shouldKeepAlive = false;
    },
  };
}
