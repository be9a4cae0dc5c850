// Revocations for a single instance: the mirror is the whole truth, always current.
import { RevocationMirror, type RevocationList, type RevocationListener, type RevocationSnapshot, type RevokedSubject, type RevokedToken } from '../../auth/revocation-list.js';
import type { VerifiedToken } from '../../auth/claims.js';

export class MemoryRevocationList implements RevocationList {
  readonly #mirror: RevocationMirror;
  #timer: NodeJS.Timeout | undefined;

  constructor(now: () => number = Date.now) {
    this.#mirror = new RevocationMirror(now);
  }

  isRevoked(token: VerifiedToken): boolean {
    return this.#mirror.isRevoked(token);
  }

  isCurrent(): boolean {
    return true;
  }

  confirmCurrent(): boolean {
    return true;
  }

  async revokeToken(entry: RevokedToken): Promise<void> {
    this.#mirror.addToken(entry);
    this.#mirror.version++;
  }

  async revokeSubject(entry: RevokedSubject): Promise<void> {
    this.#mirror.addSubject(entry);
    this.#mirror.version++;
  }

  async restoreSubject(subject: string): Promise<boolean> {
    const had = this.#mirror.subjects.delete(subject);
    if (had) this.#mirror.version++;
    return had;
  }

  onChange(listener: RevocationListener): () => void {
    return this.#mirror.onChange(listener);
  }

  async snapshot(): Promise<RevocationSnapshot> {
    return this.#mirror.toSnapshot();
  }

  async start(): Promise<void> {
    this.#timer = setInterval(() => this.#mirror.prune(), 60_000);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
  }
}
