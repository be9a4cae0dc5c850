// The audit trail of a single instance: a bounded ring, newest kept.
import type { AuditEntry, AuditTrail } from '../../observability/audit-trail.js';

export class MemoryAuditTrail implements AuditTrail {
  readonly #entries: AuditEntry[] = [];

  constructor(private readonly capacity = 10_000) {}

  async record(entry: AuditEntry): Promise<void> {
    this.#entries.push(entry);
    if (this.#entries.length > this.capacity) this.#entries.shift();
  }

  async recent(limit: number): Promise<AuditEntry[]> {
    return this.#entries.slice(-limit).reverse();
  }
}
