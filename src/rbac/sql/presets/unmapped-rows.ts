// An optional member a preset may have beyond the seam (sql-preset.ts): a query counting the stored rows its other
// queries skip because they mean nothing to permgate, so the source can report them at start instead of dropping
// them silently. Columns: `what` (text naming the kind of row) and `count`.
import type { SqlDialect, SqlPreset } from '../sql-preset.js';

export interface ReportsUnmappedRows {
  unmapped(dialect: SqlDialect): string;
}

export function reportsUnmappedRows(preset: SqlPreset): preset is SqlPreset & ReportsUnmappedRows {
  return typeof (preset as Partial<ReportsUnmappedRows>).unmapped === 'function';
}
