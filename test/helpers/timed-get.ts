// One GET for drain tests: when it was sent and answered, its status and Connection header, or the error that ended it
// (a reset, a refused connection) as an answer rather than a throw, so a test can list every request a drain lost.
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

export interface TimedAnswer {
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly status: number;
  readonly connection: string | undefined;
  readonly error?: string;
}

/** GET `url` through `agent` (undefined: a connection of its own); times are performance.now(). */
export function timedGet(agent: Agent | undefined, url: string): Promise<TimedAnswer> {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ sentAt, answeredAt: performance.now(), status: res.statusCode ?? 0, connection: (res.headers as IncomingHttpHeaders).connection }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ sentAt, answeredAt: performance.now(), status: 0, connection: undefined, error: err.code ?? err.message }));
    req.end();
  });
}
