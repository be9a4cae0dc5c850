// The facts a condition reads, taken from a matched request: made once per authorized request, read only when a
// conditional grant is the one that would allow it.
import type { RequestFacts } from './condition.js';

export class MatchedRequestFacts implements RequestFacts {
  readonly #param: (name: string) => string;

  constructor(
    readonly subject: string,
    readonly address: string | undefined,
    readonly claims: Readonly<Record<string, unknown>> | undefined,
    param: (name: string) => string,
  ) {
    this.#param = param;
  }

  /** The route match answers '' for a parameter the route does not have: that is a missing attribute. */
  param(name: string): string | undefined {
    const value = this.#param(name);
    return value === '' ? undefined : value;
  }
}
