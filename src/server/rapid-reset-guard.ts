// HTTP/2 rapid reset (CVE-2023-44487): a client opens a stream and cancels it at once, over and over, so the server
// starts work for requests nobody waits for while the concurrent-stream limit never binds. Streams a client cancels
// before their answer is complete are counted per connection over one-second windows; past the limit the
// connection gets GOAWAY (ENHANCE_YOUR_CALM) and is closed.
import { constants, type Http2Session, type ServerHttp2Stream } from 'node:http2';

export class RapidResetGuard {
  constructor(
    private readonly perSecond: () => number,
    private readonly closed: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  watch(session: Http2Session): void {
    let windowStart = this.now();
    let cancelled = 0;
    session.on('stream', (stream: ServerHttp2Stream) => {
      // 'aborted': the client reset the stream before the response was ended.
      stream.once('aborted', () => {
        const now = this.now();
        if (now - windowStart >= 1_000) {
          windowStart = now;
          cancelled = 0;
        }
        if (++cancelled > this.perSecond() && !session.destroyed) {
          this.closed();
          session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
          session.destroy();
        }
      });
    });
  }
}
