// The shared audit trail: a Redis stream, capped (approximately) so it cannot grow without bound.
import type { Redis } from 'ioredis';
import type { AuditEntry, AuditTrail } from '../../observability/audit-trail.js';

const STREAM = '{permgate:audit}:trail';

export class RedisAuditTrail implements AuditTrail {
  constructor(private readonly client: Redis, private readonly capacity = 100_000) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.client.xadd(STREAM, 'MAXLEN', '~', this.capacity, '*', 'entry', JSON.stringify(entry));
  }

  async recent(limit: number): Promise<AuditEntry[]> {
    const rows = await this.client.xrevrange(STREAM, '+', '-', 'COUNT', limit);
    return rows.map(([, fields]) => JSON.parse(fields[1]!) as AuditEntry);
  }
}
