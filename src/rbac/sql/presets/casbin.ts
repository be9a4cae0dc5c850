// Casbin's policy table (casbin_rule: ptype, v0..v5, as the official SQL adapters create it) as a permission source,
// for the RBAC models: basic (p = sub, obj, act), with deny (p = sub, obj, act, eft) and with domains
// (g = _, _, _ and p = sub, dom, obj, act[, eft]). Casbin does not tell users from roles, so every `p` row is both a
// grant of the role named v0 and a direct grant of the subject named v0, and every `g` row both binds a subject and
// makes one role inherit another.
//
// A p row's shape is read from its columns: v3 empty, 'allow' or 'deny' → sub, obj, act[, eft]; v3 anything else →
// sub, dom, obj, act[, eft in v4]. The code is `obj:act` (obj `order`, act `read` → `order:read`) when both are plain
// literals; an obj that is a URL path or a key-match pattern (`/data1/*`), or an act that is a regex, has no code
// with the same meaning and is refused by codes() (reported, grants nothing; a deny becomes `*`).
//
// Domains: a role held in a domain is the role `<role>@<domain>`, bound with tenant = domain; its grants are the p
// rows of that domain; it inherits the role itself, so domain-free p rows count in every domain the role is held in.
// A g row with a domain between two roles makes `<a>@<d>` inherit `<b>@<d>`. g2 and every other ptype, and rows of
// shapes not listed here, are not read: unmapped() counts them for the report.
import type { SqlDialect, SqlPreset, SqlQueries } from '../sql-preset.js';
import { changeTriggers } from './change-triggers.js';
import { literalCodes } from './literal-codes.js';
import type { ReportsUnmappedRows } from './unmapped-rows.js';
import { versionQuery } from './version-query.js';
import type { WatchedTable } from './watched-table.js';

const COLUMNS = ['ptype', 'v0', 'v1', 'v2', 'v3', 'v4', 'v5'] as const;

const TABLES: readonly WatchedTable[] = [
  {
    table: 'casbin_rule',
    columns: COLUMNS,
    // Over-announcing is harmless (one more recompile); both readings of a row are named rather than its shape decided.
    touches: (r) => ({
      subjects: [`CASE WHEN ${r}.ptype IN ('p', 'g') THEN ${r}.v0 END`],
      roles: [
        `CASE WHEN ${r}.ptype IN ('p', 'g') THEN ${r}.v0 END`,
        `CASE WHEN ${r}.ptype = 'p' AND coalesce(${r}.v1, '') <> '' THEN ${r}.v0 || '@' || ${r}.v1 END`,
        `CASE WHEN ${r}.ptype = 'g' AND coalesce(${r}.v2, '') <> '' THEN ${r}.v0 || '@' || ${r}.v2 END`,
        `CASE WHEN ${r}.ptype = 'g' AND coalesce(${r}.v2, '') <> '' THEN ${r}.v1 || '@' || ${r}.v2 END`,
      ],
    }),
  },
];

/** The SQL both dialects need, written once with the concatenation each spells differently. */
function shapes(dialect: SqlDialect) {
  const cat = (...parts: string[]) => (dialect === 'postgres' ? parts.join(' || ') : `CONCAT(${parts.join(', ')})`);
  const e = (column: string) => `COALESCE(${column}, '')`;
  const effects = `('', 'allow', 'deny')`;
  const plainP = `(ptype = 'p' AND ${e('v3')} IN ${effects} AND ${e('v4')} = '' AND ${e('v5')} = '')`;
  const domainP = `(ptype = 'p' AND ${e('v3')} NOT IN ${effects} AND ${e('v4')} IN ${effects} AND ${e('v5')} = '')`;
  const g = `(ptype = 'g' AND ${e('v3')} = '' AND ${e('v4')} = '' AND ${e('v5')} = '')`;
  const inDomain = (column: string) => `${e(column)} <> ''`;
  // Casbin compares names exactly; MariaDB's default collation would not (the first test keeps the index usable).
  const isSubject = (column: string) => (dialect === 'postgres' ? `${column} = :subject` : `${column} = :subject AND CAST(${column} AS BINARY) = CAST(:subject AS BINARY)`);
  return { cat, plainP, domainP, g, inDomain, isSubject };
}

/**
 * A role name `:role` is `v0` of a domain-free row or `v0@domain` of a row in a domain, and `v0` may hold an `@` itself
 * (`alice@example.com@acme`): the rows of one role have as `v0` the name itself or its part before one of its `@`s.
 * `within(column)` keeps the rows whose column is one of those (few) candidates, so the index on (ptype, v0) finds
 * them; which of them belong to `:role` is decided by the role the full query computes, compared with `:role`.
 */
function candidates(dialect: SqlDialect): { readonly prelude: string; within(column: string): string } {
  if (dialect === 'postgres') {
    const cuts = `ARRAY(SELECT left(:role, p - 1) FROM generate_series(1, length(:role) + 1) AS p WHERE p > length(:role) OR substr(:role, p, 1) = '@')`;
    return { prelude: '', within: (column) => `${column} = ANY (${cuts})` };
  }
  // MariaDB reads `IN (… UNION …)` as a dependent subquery run per row of the table: the candidates are a CTE of
  // their own, which it joins to the index instead.
  return {
    prelude:
      "WITH RECURSIVE role_at (p) AS (SELECT LOCATE('@', :role) UNION ALL SELECT LOCATE('@', :role, p + 1) FROM role_at WHERE p > 0), " +
      'role_cut (v) AS (SELECT LEFT(:role, p - 1) FROM role_at WHERE p > 0 UNION SELECT :role) ',
    within: (column) => `${column} IN (SELECT v FROM role_cut)`,
  };
}

function queries(dialect: SqlDialect): SqlQueries {
  const { cat, plainP, domainP, g, inDomain, isSubject } = shapes(dialect);
  const at = `'@'`;
  const colon = `':'`;
  // Both shapes of p row, as (sub, dom, code, effect); dom is NULL for a domain-free row. `and` narrows both.
  const p = (and = '') =>
    `SELECT v0 AS sub, NULL AS dom, ${cat('v1', colon, 'v2')} AS code, CASE WHEN v3 = 'deny' THEN 'deny' ELSE 'grant' END AS effect FROM casbin_rule WHERE ${plainP}${and} ` +
    `UNION ALL SELECT v0, v1, ${cat('v2', colon, 'v3')}, CASE WHEN v4 = 'deny' THEN 'deny' ELSE 'grant' END FROM casbin_rule WHERE ${domainP}${and}`;
  const roleGrants = (and = '') => `SELECT CASE WHEN dom IS NULL THEN sub ELSE ${cat('sub', at, 'dom')} END AS role, code, effect FROM (${p(and)}) rules`;
  // A g row makes its v0 (in its domain) inherit its v1 (in its domain); `role@domain` inherits `role`.
  const roleParents = (and0 = '', and1 = '') =>
    `SELECT CASE WHEN ${inDomain('v2')} THEN ${cat('v0', at, 'v2')} ELSE v0 END AS role, CASE WHEN ${inDomain('v2')} THEN ${cat('v1', at, 'v2')} ELSE v1 END AS parent FROM casbin_rule WHERE ${g}${and0} ` +
    `UNION SELECT ${cat('v1', at, 'v2')} AS role, v1 AS parent FROM casbin_rule WHERE ${g} AND ${inDomain('v2')}${and1}`;
  const { prelude, within } = candidates(dialect);
  return {
    subjectRoles: `SELECT CASE WHEN ${inDomain('v2')} THEN ${cat('v1', at, 'v2')} ELSE v1 END AS role, NULLIF(v2, '') AS tenant FROM casbin_rule WHERE ${g} AND ${isSubject('v0')}`,
    subjectGrants: `SELECT code, effect, dom AS tenant FROM (${p()}) rules WHERE ${isSubject('sub')}`,
    roleGrants: roleGrants(),
    roleGrantsOf: `${prelude}SELECT role, code, effect FROM (${roleGrants(` AND ${within('v0')}`)}) one_role WHERE role = :role`,
    roleParents: roleParents(),
    // The second branch finds `role@domain` by v1: an index on (ptype, v1) keeps it from reading the table.
    roleParentsOf: `${prelude}SELECT role, parent FROM (${roleParents(` AND ${within('v0')}`, ` AND ${within('v1')}`)}) one_role WHERE role = :role`,
    version: versionQuery(dialect, TABLES),
  };
}

function unmapped(dialect: SqlDialect): string {
  const { plainP, domainP, g } = shapes(dialect);
  return `SELECT ptype AS what, COUNT(*) AS count FROM casbin_rule WHERE NOT (${plainP} OR ${domainP} OR ${g}) GROUP BY ptype`;
}

export const casbinPreset: SqlPreset & ReportsUnmappedRows = {
  name: 'casbin',
  queries,
  unmapped,
  /** The code a row's SQL built as `obj:act`, taken only when both are plain literals (Casbin compares them exactly). */
  codes: literalCodes,
  role: (raw) => raw,
  triggers: (dialect, channel) => changeTriggers(dialect, channel, 'casbin', TABLES),
};
