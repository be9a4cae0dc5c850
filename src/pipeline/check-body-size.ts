// Stage: a declared body larger than the route accepts is refused before a byte of it is read (413).
// Bodies without Content-Length are counted as they stream (see upstream/request-body.ts).
import { GatewayError } from '../errors.js';
import type { Stage } from './stage.js';

export function checkBodySizeStage(defaultLimit: number): Stage {
  return {
    name: 'check-body-size',
    shadowable: true,
    run(ctx) {
      const header = ctx.headers['content-length'];
      const declared = header === undefined ? undefined : Number(header);
      const limit = ctx.match!.route.config.bodyLimit ?? defaultLimit;
      if (declared !== undefined && declared > limit) return new GatewayError('PG_BODY_TOO_LARGE', { detail: `at most ${limit} bytes` });
    },
  };
}
