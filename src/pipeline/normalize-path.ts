// Stage: the raw target becomes the canonical path (or the request ends with 400/414).
import { GatewayError } from '../errors.js';
import { normalizeTarget, type NormalizeOptions } from '../routing/normalize-path.js';
import { refusal, type Stage } from './stage.js';

export function normalizePathStage(options: NormalizeOptions & { urlLength: number }): Stage {
  return {
    name: 'normalize-path',
    run(ctx) {
      if (ctx.rawTarget.length > options.urlLength) return new GatewayError('PG_URI_TOO_LONG');
      try {
        ctx.target = normalizeTarget(ctx.rawTarget, options);
      } catch (err) {
        return refusal(err);
      }
    },
  };
}
