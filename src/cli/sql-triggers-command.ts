// `permgate sql triggers --preset NAME [--dialect postgres|mysql] [--channel NAME]`: prints the SQL an operator installs
// so the database announces its RBAC changes (issue 16): the version row, and triggers that bump it and, on
// PostgreSQL, NOTIFY the subjects and roles a write touches. Printed, never run: the operator reviews and installs it.
import { presetByName, presetNames } from '../rbac/sql/presets/index.js';
import type { SqlDialect } from '../rbac/sql/sql-preset.js';
import { CHANNEL } from '../rbac/sql/version-table.js';

export interface SqlTriggersOptions {
  readonly preset: string | undefined;
  readonly dialect?: string | undefined;
  readonly channel?: string | undefined;
}

export class SqlTriggersUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlTriggersUsageError';
  }
}

/** The channel `changes.notify` names unless told otherwise. */
export const DEFAULT_CHANNEL = 'permgate_rbac';

export function sqlTriggersText(options: SqlTriggersOptions): string {
  const preset = options.preset === undefined ? undefined : presetByName(options.preset);
  if (preset === undefined) {
    throw new SqlTriggersUsageError(`--preset must name a preset: ${presetNames().join(', ')}${options.preset === undefined ? '' : ` (not "${options.preset}")`}`);
  }
  const dialect = options.dialect ?? 'postgres';
  if (dialect !== 'postgres' && dialect !== 'mysql') throw new SqlTriggersUsageError(`--dialect is postgres or mysql (not "${dialect}")`);
  const channel = options.channel ?? DEFAULT_CHANNEL;
  if (!CHANNEL.test(channel)) throw new SqlTriggersUsageError(`--channel is lower-case letters, digits and _ (not "${channel}")`);
  return preset.triggers(dialect as SqlDialect, channel);
}
