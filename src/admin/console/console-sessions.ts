// The console's sessions, kept in this instance's memory (a session opened on one instance is unknown to another).
// A session is found by the SHA-256 of its cookie value, so the table holds no usable cookie; it ends after
// IDLE_MS without a call, at MAX_MS after login, when the JWT it was opened with expires, or at logout.
import { createHash, randomBytes } from 'node:crypto';
import type { AdminActor } from '../admin-auth.js';

/** 15 minutes without a call ends a session. */
export const IDLE_MS = 15 * 60_000;
/** No session lives longer than 8 hours. */
export const MAX_MS = 8 * 60 * 60_000;
/** Sessions one instance keeps; beyond it, the least recently used one ends (logins are authenticated). */
const MAX_SESSIONS = 1_000;

/** What the session was opened with, checked again on every call (a rotated admin token or a revoked JWT ends it). */
export type SessionCredential =
  | { readonly kind: 'admin-token'; readonly digest: Buffer }
  | { readonly kind: 'jwt'; readonly token: string };

export interface ConsoleSession {
  readonly actor: AdminActor;
  readonly credential: SessionCredential;
  /** Sent by the page in X-CSRF-Token with every change; compared in constant time. */
  readonly csrf: string;
  readonly createdAt: number;
  /** The hard end: MAX_MS after login, or the JWT's expiry when earlier. */
  readonly endsAt: number;
  lastSeen: number;
}

const digestOf = (value: string): string => createHash('sha256').update(value).digest('base64url');

export class ConsoleSessions {
  readonly #sessions = new Map<string, ConsoleSession>();

  constructor(private readonly now: () => number) {}

  /** Opens a session; the returned id is the cookie value, known to nobody else. */
  open(actor: AdminActor, credential: SessionCredential, credentialEndsAt = Infinity): { id: string; session: ConsoleSession } {
    const now = this.now();
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { actor, credential, csrf: randomBytes(32).toString('base64url'), createdAt: now, endsAt: Math.min(now + MAX_MS, credentialEndsAt), lastSeen: now };
    this.#sweep(now);
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    this.#sessions.set(digestOf(id), session);
    return { id, session };
  }

  /** The live session of this cookie value, its idle clock restarted; undefined when there is none or it ended. */
  find(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined || id === '') return undefined;
    const key = digestOf(id);
    const session = this.#sessions.get(key);
    if (session === undefined) return undefined;
    const now = this.now();
    if (now >= session.endsAt || now - session.lastSeen >= IDLE_MS) {
      this.#sessions.delete(key);
      return undefined;
    }
    session.lastSeen = now;
    // Re-inserted so the map's order stays least recently used first.
    this.#sessions.delete(key);
    this.#sessions.set(key, session);
    return session;
  }

  /** When the session ends if no call comes first. */
  expiresAt(session: ConsoleSession): number {
    return Math.min(session.endsAt, session.lastSeen + IDLE_MS);
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(digestOf(id));
  }

  /** Ends every session (the console or the admin API was turned off). */
  clear(): void {
    this.#sessions.clear();
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(now: number): void {
    for (const [key, session] of this.#sessions) if (now >= session.endsAt || now - session.lastSeen >= IDLE_MS) this.#sessions.delete(key);
  }
}
