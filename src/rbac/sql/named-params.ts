// Named `:params` in a configured query → the driver's own placeholders, so a value is always bound by the driver and
// never spliced into the SQL text. Literals, quoted names, comments, dollar-quoted bodies and PostgreSQL `::` casts are
// copied as they are: a `:x` inside them is text, not a parameter.
import type { SqlDialect } from './sql-preset.js';

/** A query ready for one driver: its text with positional placeholders, and which named value fills each. */
export interface PositionalQuery {
  readonly text: string;
  /** The parameter name behind each placeholder, in order (PostgreSQL: `$1` is names[0]; MySQL: the n-th `?`). */
  readonly names: readonly string[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;

/**
 * @example toPositional("SELECT r FROM t WHERE u = :subject AND k = ':x'", 'postgres')
 *   → { text: "SELECT r FROM t WHERE u = $1 AND k = ':x'", names: ['subject'] }
 * @example toPositional('… a = :subject OR b = :subject', 'mysql') → { text: '… a = ? OR b = ?', names: ['subject', 'subject'] }
 */
export function toPositional(sql: string, dialect: SqlDialect): PositionalQuery {
  const names: string[] = [];
  const slots = new Map<string, number>();
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const skip = skipLiteral(sql, i, dialect);
    if (skip > i) {
      out += sql.slice(i, skip);
      i = skip;
      continue;
    }
    if (ch === ':' && sql[i + 1] === ':') {
      out += '::';
      i += 2;
      continue;
    }
    if (ch === ':' && NAME_START.test(sql[i + 1] ?? '') && !NAME_PART.test(sql[i - 1] ?? '')) {
      let end = i + 1;
      while (end < sql.length && NAME_PART.test(sql[end]!)) end++;
      const name = sql.slice(i + 1, end);
      if (dialect === 'postgres') {
        let slot = slots.get(name);
        if (slot === undefined) {
          names.push(name);
          slots.set(name, (slot = names.length));
        }
        out += `$${slot}`;
      } else {
        names.push(name);
        out += '?';
      }
      i = end;
      continue;
    }
    out += ch;
    i++;
  }
  return { text: out, names };
}

/** Where the literal, quoted name or comment starting at `i` ends; `i` itself when none starts there. */
function skipLiteral(sql: string, i: number, dialect: SqlDialect): number {
  const ch = sql[i]!;
  if (ch === "'" || ch === '"' || (ch === '`' && dialect === 'mysql')) return quoted(sql, i, ch, dialect === 'mysql');
  if (ch === '-' && sql[i + 1] === '-') {
    const end = sql.indexOf('\n', i);
    return end === -1 ? sql.length : end;
  }
  if (ch === '#' && dialect === 'mysql') {
    const end = sql.indexOf('\n', i);
    return end === -1 ? sql.length : end;
  }
  if (ch === '/' && sql[i + 1] === '*') {
    const end = sql.indexOf('*/', i + 2);
    return end === -1 ? sql.length : end + 2;
  }
  if (ch === '$' && dialect === 'postgres') {
    const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
    if (tag !== null && !NAME_PART.test(sql[i - 1] ?? '')) {
      const end = sql.indexOf(tag[0], i + tag[0].length);
      return end === -1 ? sql.length : end + tag[0].length;
    }
  }
  return i;
}

/** The end of a quoted run: a doubled quote is an escaped one; in MySQL a backslash escapes too. */
function quoted(sql: string, start: number, quote: string, backslash: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (backslash && ch === '\\' && quote !== '`') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** Each configured query is converted once and kept: the source runs the same few texts for every subject. */
export function positionalCache(dialect: SqlDialect): (sql: string) => PositionalQuery {
  const converted = new Map<string, PositionalQuery>();
  return (sql) => {
    let positional = converted.get(sql);
    if (positional === undefined) converted.set(sql, (positional = toPositional(sql, dialect)));
    return positional;
  };
}
