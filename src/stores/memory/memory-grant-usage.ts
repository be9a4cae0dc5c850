// Grant use kept in this process (`store.path: memory`): lost on restart, like everything in the memory store.
import type { Day, GrantUsageStore, GrantUse, RoleGrantUse } from '../../privilege/grant-usage-store.js';

export class MemoryGrantUsage implements GrantUsageStore {
  readonly #subjects = new Map<string, Map<string, Day>>();
  readonly #roles = new Map<string, Day>();
  #since: Day | undefined;

  async record(uses: readonly GrantUse[], roleUses: readonly RoleGrantUse[]): Promise<void> {
    for (const { subject, grant, day } of uses) {
      let grants = this.#subjects.get(subject);
      if (grants === undefined) this.#subjects.set(subject, (grants = new Map()));
      raise(grants, grant, day);
      this.#since = Math.min(this.#since ?? day, day);
    }
    for (const { grant, day } of roleUses) raise(this.#roles, grant, day);
  }

  async subjectUsage(subject: string): Promise<ReadonlyMap<string, Day>> {
    return new Map(this.#subjects.get(subject));
  }

  async roleUsage(): Promise<ReadonlyMap<string, Day>> {
    return new Map(this.#roles);
  }

  async since(): Promise<Day | undefined> {
    return this.#since;
  }
}

function raise(days: Map<string, Day>, grant: string, day: Day): void {
  if ((days.get(grant) ?? -Infinity) < day) days.set(grant, day);
}
