// Types of the part of the ws package the gateway and its tests use (ws ships none; @types/ws is not a dependency).
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, Server } from 'node:http';
  import type { Duplex } from 'node:stream';

  export type RawData = Buffer | ArrayBuffer | Buffer[];

  /** For wss:// (ws passes them to https.request). */
  export interface ClientOptions extends Pick<import('node:https').RequestOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'> {
    readonly headers?: OutgoingHttpHeaders;
    readonly handshakeTimeout?: number;
    readonly maxPayload?: number;
    readonly perMessageDeflate?: boolean;
    readonly followRedirects?: boolean;
    readonly autoPong?: boolean;
    readonly origin?: string;
  }

  export class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;
    constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions);
    readonly readyState: 0 | 1 | 2 | 3;
    readonly protocol: string;
    readonly bufferedAmount: number;
    send(data: RawData | string, options?: { readonly binary?: boolean }, callback?: (err?: Error) => void): void;
    ping(data?: RawData | string, mask?: boolean, callback?: (err?: Error) => void): void;
    pong(data?: RawData | string, mask?: boolean, callback?: (err?: Error) => void): void;
    close(code?: number, reason?: string | Buffer): void;
    terminate(): void;
    pause(): void;
    resume(): void;
    on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'open', listener: () => void): this;
    on(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
    on(event: 'upgrade', listener: (res: IncomingMessage) => void): this;
    on(event: 'unexpected-response', listener: (req: ClientRequest, res: IncomingMessage) => void): this;
    once(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    once(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    once(event: 'error', listener: (err: Error) => void): this;
    once(event: 'open', listener: () => void): this;
    once(event: 'upgrade', listener: (res: IncomingMessage) => void): this;
    once(event: 'unexpected-response', listener: (req: ClientRequest, res: IncomingMessage) => void): this;
  }

  export interface ServerOptions {
    readonly noServer?: boolean;
    readonly server?: Server;
    readonly port?: number;
    readonly host?: string;
    readonly maxPayload?: number;
    readonly perMessageDeflate?: boolean;
    readonly autoPong?: boolean;
    readonly handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(options: ServerOptions, callback?: () => void);
    readonly clients: Set<WebSocket>;
    address(): { port: number; address: string } | string;
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (client: WebSocket, request: IncomingMessage) => void): void;
    close(callback?: (err?: Error) => void): void;
    on(event: 'connection', listener: (socket: WebSocket, request: IncomingMessage) => void): this;
    on(event: 'headers', listener: (headers: string[], request: IncomingMessage) => void): this;
    on(event: 'listening', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    once(event: 'listening', listener: () => void): this;
  }

  export type { IncomingHttpHeaders };
  export default WebSocket;
}
