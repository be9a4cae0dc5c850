// A raw HTTP/2 client for tests that must send what no well-behaved client library will: headers a library refuses
// (upper case, connection-specific, CR/LF in a value), pseudo-headers out of place, a content-length that disagrees
// with the DATA frames. Header blocks are HPACK literals without indexing or Huffman (RFC 7541 §6.2.2), so any
// byte can be sent; only the response status is decoded.
import { connect, type TLSSocket } from 'node:tls';

export type RawH2Outcome =
  | { readonly kind: 'response'; readonly status: number }
  | { readonly kind: 'reset'; readonly errorCode: number }
  | { readonly kind: 'goaway'; readonly errorCode: number }
  | { readonly kind: 'closed' };

export interface RawH2Request {
  /** Header fields in order, exactly as sent (names are not lower-cased). */
  readonly headers: readonly (readonly [string, string])[];
  /** DATA frames; the last one ends the stream. Without any, HEADERS ends it. */
  readonly data?: readonly string[];
}

export const frame = (type: number, flags: number, stream: number, payload: Buffer): Buffer => {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
};

/** An HPACK integer with an n-bit prefix (RFC 7541 §5.1). */
function integer(value: number, prefixBits: number, firstByte: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const out = [firstByte | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

export function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([0x00]), Buffer.from(integer(n.length, 7, 0)), n, Buffer.from(integer(v.length, 7, 0)), v]);
}

/** The static table's :status entries (RFC 7541 Appendix A). */
const STATIC_STATUS: Readonly<Record<number, number>> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };
/** Huffman codes of the digits (RFC 7541 Appendix B): all a status needs. */
const DIGITS: readonly [string, string][] = [
  ['00000', '0'], ['00001', '1'], ['00010', '2'], ['011001', '3'], ['011010', '4'],
  ['011011', '5'], ['011100', '6'], ['011101', '7'], ['011110', '8'], ['011111', '9'],
];

function huffmanDigits(bytes: Buffer): string {
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  while (bits.length > 0 && !/^1{1,7}$/.test(bits)) {
    const hit = DIGITS.find(([code]) => bits.startsWith(code));
    if (hit === undefined) throw new Error('not a digit in a Huffman-coded status');
    out += hit[1];
    bits = bits.slice(hit[0].length);
  }
  return out;
}

/** The :status of a response header block (the first field, as every server sends it). */
function statusOf(block: Buffer): number {
  const first = block[0]!;
  if (first & 0x80) return STATIC_STATUS[first & 0x7f] ?? 0;
  // A literal whose name is a static :status entry (index 8-14), with or without indexing.
  const indexed = first & 0x40 ? first & 0x3f : first & 0x0f;
  if (indexed < 8 || indexed > 14) return 0;
  const length = block[1]! & 0x7f;
  const value = block.subarray(2, 2 + length);
  return Number(block[1]! & 0x80 ? huffmanDigits(value) : value.toString('latin1'));
}

/** The frames a raw session received, as they came. */
export interface ReceivedFrame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/**
 * A raw session: connects (ALPN h2), sends the preface and `bytes`, acknowledges the server's SETTINGS, and collects
 * every frame until the connection closes or `waitMs` passes.
 */
export function rawH2Session(port: number, bytes: (serverSettings: Buffer) => Buffer, waitMs = 2_000): Promise<{ frames: ReceivedFrame[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['h2'], rejectUnauthorized: false });
    const frames: ReceivedFrame[] = [];
    let buffer = Buffer.alloc(0);
    let sent = false;
    let closed = false;
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ frames, closed });
    });
    socket.on('end', () => (closed = true));
    socket.on('secureConnect', () => socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), frame(0x4, 0, 0, Buffer.alloc(0))])));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3);
        if (buffer.length < 9 + length) break;
        const received = { type: buffer[3]!, flags: buffer[4]!, stream: buffer.readUInt32BE(5) & 0x7fffffff, payload: buffer.subarray(9, 9 + length) };
        buffer = buffer.subarray(9 + length);
        frames.push(received);
        if (received.type === 0x4 && !(received.flags & 0x1)) {
          socket.write(frame(0x4, 0x1, 0, Buffer.alloc(0)));
          if (!sent) {
            sent = true;
            socket.write(bytes(received.payload));
          }
        }
        if (received.type === 0x7) closed = true;
      }
    });
  });
}

/** Sends one request on a new TLS connection (ALPN h2) and reports what became of stream 1. */
export function rawH2(port: number, request: RawH2Request, servername = 'localhost', timeoutMs = 5_000): Promise<RawH2Outcome> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername, ALPNProtocols: ['h2'], rejectUnauthorized: false });
    let buffer = Buffer.alloc(0);
    let settled = false;
    const done = (outcome: RawH2Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no outcome for stream 1 within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (err) => (settled ? undefined : done({ kind: 'closed' }), void err));
    socket.on('close', () => done({ kind: 'closed' }));
    socket.on('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') return reject(new Error(`ALPN chose ${socket.alpnProtocol}`));
      const block = Buffer.concat(request.headers.map(([name, value]) => literal(name, value)));
      const data = request.data ?? [];
      const parts = [
        Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
        frame(0x4, 0, 0, Buffer.alloc(0)),
        frame(0x1, 0x4 | (data.length === 0 ? 0x1 : 0), 1, block),
        ...data.map((chunk, i) => frame(0x0, i === data.length - 1 ? 0x1 : 0, 1, Buffer.from(chunk, 'latin1'))),
      ];
      socket.write(Buffer.concat(parts));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3);
        if (buffer.length < 9 + length) break;
        const type = buffer[3]!;
        const flags = buffer[4]!;
        const stream = buffer.readUInt32BE(5) & 0x7fffffff;
        const payload = buffer.subarray(9, 9 + length);
        buffer = buffer.subarray(9 + length);
        if (type === 0x4 && !(flags & 0x1)) socket.write(frame(0x4, 0x1, 0, Buffer.alloc(0))); // SETTINGS ACK
        else if (type === 0x1 && stream === 1) done({ kind: 'response', status: statusOf(payload) });
        else if (type === 0x3 && stream === 1) done({ kind: 'reset', errorCode: payload.readUInt32BE(0) });
        else if (type === 0x7) done({ kind: 'goaway', errorCode: payload.readUInt32BE(4) });
      }
    });
  });
}
