// Stage: every stage before this one has passed, so now the body may be read. The exchange goes back to the HTTP
// adapter, which sends `100 Continue` if the client asked for it (never before: a client is not invited to send a
// body the gateway is about to refuse), reads the body as upstream/request-body.ts says (small ones whole, large
// ones streamed under a per-address cap; 413 · 408 · 429 · 400), and resumes the journey at the next stage.
import { SUSPEND, type Stage } from './stage.js';

export function readBodyStage(): Stage {
  return { name: 'read-body', run: () => SUSPEND };
}
