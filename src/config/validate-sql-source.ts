// Checks `rbac.source.sql` beyond its schema: a URL permgate can talk to, a preset this build has, every query the
// source needs (from the preset or written out), `:subject` where a query is per subject and nowhere else, and a way to
// see changes that the database supports. The queries themselves are run once at start (rbac/sql/sql-check.ts).
import { toPositional } from '../rbac/sql/named-params.js';
import { presetByName, presetNames } from '../rbac/sql/presets/index.js';
import { reportsUnmappedRows } from '../rbac/sql/presets/unmapped-rows.js';
import { dialectOf } from '../rbac/sql/sql-client.js';
import type { SqlPresetName, SqlQueries } from '../rbac/sql/sql-preset.js';
import { Checker, ms, type KeyPath } from './checker.js';
import type { SqlChanges, SqlSourceConfig } from './rbac-types.js';
import type { Static } from './schema/type.js';
import type { SqlSourceSchema } from './schema/rbac-schema.js';
import type { Milliseconds } from './units.js';

type SqlSection = Static<typeof SqlSourceSchema>;

const PATH: KeyPath = ['rbac', 'source', 'sql'];
/** Queries read per subject take `:subject`, those read per role `:role`; the others read everything and take nothing. */
const PARAMETER: Readonly<Record<string, string>> = { subjectRoles: 'subject', subjectGrants: 'subject', roleGrantsOf: 'role', roleParentsOf: 'role' };

export function checkSqlSource(c: Checker, s: SqlSection, syncInterval: Milliseconds): SqlSourceConfig | undefined {
  const dialect = dialectOf(s.url);
  if (dialect === undefined) {
    // The URL may hold a password: it is never repeated in the message.
    c.fail([...PATH, 'url'], 'is not a postgres://, postgresql://, mysql:// or mariadb:// URL', 'write it as ${RBAC_DATABASE_URL} and set that variable');
  }
  const presetName = (s.preset ?? 'none') as SqlPresetName | 'none';
  const preset = presetName === 'none' ? undefined : presetByName(presetName);
  if (presetName !== 'none' && preset === undefined) {
    c.fail([...PATH, 'preset'], `the ${presetName} preset is not in this build`, `available: ${[...presetNames(), 'none'].join(', ')}`);
  }
  const base: Partial<SqlQueries> = preset?.queries(dialect ?? 'postgres') ?? {};
  const written = s.queries ?? {};
  const queries: Record<string, string | undefined> = {
    subjectRoles: written.subjectRoles ?? base.subjectRoles,
    roleGrants: written.roleGrants ?? base.roleGrants,
    // A preset's per-role query reads one role of its own full query: with that query overridden it would read
    // another schema's rows, so it is left out (a role change then reads every role, as without one).
    roleGrantsOf: written.roleGrantsOf ?? (written.roleGrants === undefined ? base.roleGrantsOf : undefined),
    roleParents: written.roleParents ?? base.roleParents,
    roleParentsOf: written.roleParentsOf ?? (written.roleParents === undefined ? base.roleParentsOf : undefined),
    subjectGrants: written.subjectGrants ?? base.subjectGrants,
    version: s.changes?.version ?? base.version,
  };
  for (const key of ['subjectRoles', 'roleGrants'] as const) {
    if (queries[key] === undefined) c.fail([...PATH, 'queries'], `needs ${key}`, presetName === 'none' ? 'write it, or name a preset' : undefined);
  }
  for (const [key, sql] of Object.entries(queries)) {
    if (sql === undefined) continue;
    const path = key === 'version' ? [...PATH, 'changes', 'version'] : [...PATH, 'queries', key];
    const names = new Set(toPositional(sql, dialect ?? 'postgres').names);
    const parameter = PARAMETER[key];
    const extra = [...names].filter((name) => name !== parameter);
    if (extra.length > 0) c.fail(path, `names ${extra.map((n) => `:${n}`).join(', ')}, which the source does not supply`, parameter !== undefined ? `only :${parameter}` : 'this query reads every row and takes no parameter');
    else if (parameter === 'subject' && !names.has(parameter)) c.fail(path, 'does not name :subject, so every subject would get the same rows', 'e.g. … WHERE user_name = :subject');
    else if (parameter === 'role' && !names.has(parameter)) c.fail(path, 'does not name :role, so every role would get the same rows', 'e.g. … WHERE role_key = :role');
  }
  if (written.roleParentsOf !== undefined && queries.roleParents === undefined) {
    c.fail([...PATH, 'queries', 'roleParentsOf'], 'reads one role\'s roleParents rows, but there is no roleParents query', 'write roleParents too, or leave roleParentsOf out');
  } else if (written.roleParentsOf !== undefined && queries.roleGrantsOf === undefined) {
    c.fail([...PATH, 'queries', 'roleParentsOf'], 'is only read beside roleGrantsOf (a role change reads both per role, or every role)', 'write roleGrantsOf too, or leave roleParentsOf out');
  }
  if (queries.version === undefined) {
    c.fail([...PATH, 'changes', 'version'], 'is needed: no preset gives a version query', 'one row, one column `version` that changes with every write');
  }
  const changes = checkChanges(c, s.changes ?? {}, dialect, syncInterval);
  const ownReads = (['subjectRoles', 'roleGrants', 'roleParents', 'subjectGrants'] as const).some((key) => written[key] !== undefined);
  const unmapped = preset !== undefined && reportsUnmappedRows(preset) && !ownReads && dialect !== undefined ? preset.unmapped(dialect) : undefined;
  if (dialect === undefined || changes === undefined || queries.subjectRoles === undefined || queries.roleGrants === undefined || queries.version === undefined) return undefined;
  return {
    url: s.url,
    dialect,
    preset: presetName,
    queries: { ...queries, subjectRoles: queries.subjectRoles, roleGrants: queries.roleGrants, version: queries.version },
    unmapped,
    changes,
    pool: s.pool!,
    statementTimeout: ms(s.statementTimeout)!,
    connectTimeout: ms(s.connectTimeout)!,
  };
}

function checkChanges(c: Checker, changes: NonNullable<SqlSection['changes']>, dialect: string | undefined, syncInterval: Milliseconds): SqlChanges | undefined {
  const path = [...PATH, 'changes'];
  if (changes.notify !== undefined && changes.poll !== undefined) return c.fail(path, 'names both notify and poll', 'notify (PostgreSQL) or poll, not both');
  if (changes.notify !== undefined) {
    if (dialect === 'mysql') return c.fail([...path, 'notify'], 'MySQL and MariaDB have no LISTEN/NOTIFY', 'use { poll: 5s } with the version triggers');
    return { kind: 'notify', channel: changes.notify, check: ms(changes.check) ?? syncInterval };
  }
  if (changes.check !== undefined) c.fail([...path, 'check'], 'only applies with notify', 'with poll, the version query runs every poll interval');
  return { kind: 'poll', interval: ms(changes.poll) ?? syncInterval };
}
