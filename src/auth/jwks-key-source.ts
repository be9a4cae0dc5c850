// Keys from a remote JWKS: fetched at start, refreshed in the background, refetched on an unknown `kid` at most
// once per cooldown (random `kid`s cannot make the gateway hammer the key server), and served from the last good
// copy while the key server is down. The document is bounded (issue 10 §1): its size is counted as it streams in
// (a Content-Length is a claim, not a limit) and its keys are counted before any is imported; a document past either
// bound is a failed refresh, like a key server that is down.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import type { JwksConfig } from '../config/auth-types.js';

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;
type VerificationKey = Awaited<ReturnType<LocalKeySet>>;

export interface JwksEvents {
  onRefresh(outcome: 'ok' | 'failed', reason?: string): void;
}

export class JwksKeySource {
  readonly #config: JwksConfig;
  readonly #events: JwksEvents;
  readonly #now: () => number;
  #keys: LocalKeySet | undefined;
  #lastAttempt = -Infinity;
  #inflight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(config: JwksConfig, events: JwksEvents, now: () => number = Date.now) {
    this.#config = config;
    this.#events = events;
    this.#now = now;
  }

  /** First fetch; a failure is logged by the caller and retried by the background refresh. */
  async start(): Promise<void> {
    this.#timer = setInterval(() => void this.refresh(), this.#config.refreshInterval);
    this.#timer.unref();
    await this.refresh();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  get hasKeys(): boolean {
    return this.#keys !== undefined;
  }

  /** One fetch at a time; a failed fetch keeps the keys already known. */
  refresh(): Promise<void> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<void> {
    this.#lastAttempt = this.#now();
    const abort = new AbortController();
    try {
      const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(this.#config.timeout)]);
      const response = await fetch(this.#config.uri, { signal, redirect: 'error' });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const body = JSON.parse(await readBounded(response, this.#config.maxSize)) as JSONWebKeySet;
      if (!body || !Array.isArray(body.keys)) throw new Error('not a JWKS document');
      if (body.keys.length > this.#config.maxKeys) throw new Error(`the JWKS document holds ${body.keys.length} keys, more than ${this.#config.maxKeys}`);
      this.#keys = createLocalJWKSet(body);
      this.#events.onRefresh('ok');
    } catch (err) {
      this.#events.onRefresh('failed', (err as Error).message);
    } finally {
      abort.abort(); // whatever is left of the body is not read
    }
  }

  /** The key for a token's header; an unknown kid triggers one refresh if the cooldown allows it. */
  async getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<VerificationKey> {
    if (this.#keys !== undefined) {
      try {
        return await this.#keys(header, token);
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      }
    }
    if (this.#now() - this.#lastAttempt < this.#config.cooldown) throw new errors.JWKSNoMatchingKey();
    await this.refresh();
    if (this.#keys === undefined) throw new errors.JWKSNoMatchingKey();
    return this.#keys(header, token);
  }
}

/** The body as text, refused (and its download cancelled) once it passes `maxSize` bytes, whatever Content-Length said. */
async function readBounded(response: Response, maxSize: number): Promise<string> {
  const tooLarge = (): Error => new Error(`the JWKS document is larger than ${maxSize} bytes`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxSize) throw tooLarge();
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxSize) throw tooLarge();
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
}
