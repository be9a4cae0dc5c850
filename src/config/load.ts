// Reads gateway.config.yaml: YAML with line numbers, ${VAR} from the environment, schema, then the route table.
// Everything a request needs is prepared here, so a bad file fails before anything listens.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { compileRouteTable, type RouteTable } from '../routing/route-table.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { fillPlaceholders, maskPlaceholders } from './interpolate-env.js';
import type { GatewayConfig, SourceLocation } from './types.js';
import { validateConfig, type Locate } from './validate.js';

export interface LoadedConfig {
  readonly config: GatewayConfig;
  readonly routes: RouteTable;
  /** Where a key path stands in the file (for problems found after validation, such as a reload's). */
  readonly locate: Locate;
}

/** Parses and checks a configuration text; throws ConfigError listing every problem. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const lineCounter = new LineCounter();
  const { masked, placeholders } = maskPlaceholders(text);
  // yaml's own duplicate-key check compares every key with every other of its mapping: 10,000 subjects took ~1 s of
  // each start and reload. duplicateKey() below finds the same in one pass.
  const doc = parseDocument(masked, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    // The first YAML error is the real one; the rest are usually its echo.
    const error = doc.errors[0]!;
    throw new ConfigError([{ location: at(error.pos[0]), keyPath: '', message: `not valid YAML: ${firstLine(error.message)}` }]);
  }
  const duplicate = duplicateKey(doc.contents as Node | null, []);
  if (duplicate !== undefined) {
    throw new ConfigError([{ location: at(duplicate.offset), keyPath: duplicate.keyPath.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text === '' ? part : `${text}.${part}`), ''), message: `not valid YAML: ${String(duplicate.keyPath.at(-1))} is given twice in one mapping` }]);
  }
  const unset = fillPlaceholders(doc, placeholders, env);
  if (unset.length > 0) {
    throw new ConfigError(
      unset.map((u) => ({
        location: at(u.offset),
        keyPath: u.keyPath,
        message: `environment variable ${u.name} is not set`,
        hint: `set it, or give a default: \${${u.name}:-value}`,
      })),
    );
  }
  const locate: Locate = (path, options) => at(offsetOf(doc, path, options?.key ?? false));
  const { config, partial, issues } = validateConfig(file, doc.toJS({ maxAliasCount: 100 }), locate);
  const compiled = compileRouteTable(partial.routes, partial.upstreams, { caseInsensitive: partial.caseInsensitive });
  const all = [...issues, ...compiled.issues];
  if (!config || !compiled.table || all.length > 0) throw new ConfigError(sortIssues(all));
  return { config, routes: compiled.table, locate };
}

/** Reads and parses a configuration file. A missing or unreadable file is a ConfigError too. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot be read (${(err as Error).message})`;
    throw new ConfigError([{ location: { file, line: 0, column: 0 }, keyPath: '', message: reason }]);
  }
  return parseConfig(text, file, env);
}

/** The first key given twice in one mapping (by its scalar value, as YAML compares plain keys), depth first. */
function duplicateKey(node: Node | null | undefined, path: readonly (string | number)[]): { readonly offset: number; readonly keyPath: readonly (string | number)[] } | undefined {
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const name = isScalar(key) ? String(key.value) : JSON.stringify(key?.toJSON?.() ?? null);
      if (seen.has(name)) return { offset: key?.range?.[0] ?? node.range?.[0] ?? 0, keyPath: [...path, name] };
      seen.add(name);
      const inner = duplicateKey(pair.value as Node | null, [...path, name]);
      if (inner !== undefined) return inner;
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const inner = duplicateKey(item as Node | null, [...path, i]);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column);
}

/** The offset of the deepest node on `path` that exists: a missing key points at its parent mapping. */
function offsetOf(doc: Document, path: readonly (string | number)[], key: boolean): number {
  let node: Node | null | undefined = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
      if (!pair) return offset;
      const isLast = i === path.length - 1;
      const keyNode = pair.key as Node;
      if (isLast && key) return keyNode.range?.[0] ?? offset;
      node = pair.value as Node | null;
      offset = node?.range?.[0] ?? keyNode.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part] as Node | undefined;
      if (!node) return offset;
      offset = node.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}
