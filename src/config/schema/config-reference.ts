// docs/configuration.md, written from the schema: every key path with its type, default and description, so the
// reference cannot drift from what the validator accepts (test/config/config-reference.test.ts keeps it in sync).
import { FORMATS, type FormatName } from './formats.js';
import { GatewayConfigSchema } from './gateway-config-schema.js';
import type { SchemaNode } from './schema-node.js';

interface Row {
  readonly path: string;
  readonly type: string;
  readonly fallback: string;
  readonly description: string;
}

const FORMAT_WORDS: Readonly<Record<FormatName, string>> = {
  duration: 'duration', size: 'size', rate: 'rate', cidr: 'address or CIDR', 'zoned-date-time': 'date-time',
};

function typeOf(node: SchemaNode): string {
  if (node.anyOf) return [...new Set(node.anyOf.flatMap((branch) => typeOf(branch).split(' or ')))].join(' or ');
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(' or ');
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (node.format) return FORMAT_WORDS[node.format as FormatName] ?? node.format;
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'any'}`;
  if (node.type === 'object') return node.properties ? 'mapping' : 'map';
  if (node.type === 'integer') return node.minimum !== undefined ? `integer ${node.minimum}–${node.maximum}` : 'integer';
  if (node.type === 'number') return node.minimum !== undefined ? `number ${node.minimum}–${node.maximum}` : 'number';
  return node.type === undefined ? 'any' : String(node.type);
}

function show(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0 && !Array.isArray(value)) return '';
  return typeof value === 'string' && value !== '' ? `\`${value}\`` : `\`${JSON.stringify(value)}\``;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The object shapes under a node, with the suffix their keys are written after (`[]` for list items, `.<name>` for maps). */
function children(node: SchemaNode): [string, SchemaNode][] {
  const out: [string, SchemaNode][] = [];
  if (node.properties) out.push(['', node]);
  if (node.items) out.push(...children(node.items).map(([s, n]): [string, SchemaNode] => [`[]${s}`, n]));
  const value = Object.values(node.patternProperties ?? {})[0] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
  if (value) out.push(...children(value).map(([s, n]): [string, SchemaNode] => [`.<name>${s}`, n]));
  for (const branch of node.anyOf ?? []) out.push(...children(branch));
  return out;
}

function rows(node: SchemaNode, prefix: string, out: Row[]): void {
  for (const [suffix, shape] of children(node)) {
    for (const [key, child] of Object.entries(shape.properties ?? {})) {
      const path = `${prefix}${suffix}${prefix || suffix ? '.' : ''}${key}`.replace(/^\./, '');
      const required = shape.required?.includes(key) ? ' (required)' : '';
      out.push({ path, type: typeOf(child), fallback: show(child.default), description: `${child.description ?? ''}${required}` });
      rows(child, path, out);
    }
  }
}

/** The reference page as Markdown. */
export function configurationReference(): string {
  const out: Row[] = [];
  rows(GatewayConfigSchema as SchemaNode, '', out);
  const seen = new Set<string>();
  const unique = out.filter((row) => !seen.has(row.path) && seen.add(row.path));
  const formats = Object.entries(FORMATS).map(([name, f]) => `- **${FORMAT_WORDS[name as FormatName]}**: ${f.hint ?? ''}`);
  return [
    '# Configuration reference',
    '',
    '<!-- Written by `npm run schema` from src/config/schema/; edit the schema, not this page. -->',
    '',
    'Every key of `gateway.config.yaml`, with its type, its default and what it does. The same schema validates the',
    'file when the gateway starts (`file:line:col: key.path: message (hint)`) and is shipped for editors as',
    '`schema/gateway.config.schema.json`. Any value may be written as `${VAR}` or `${VAR:-default}`.',
    '',
    'Values written with a unit:',
    '',
    ...formats,
    '',
    '| Key | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...unique.map((row) => `| \`${row.path}\` | ${cell(row.type)} | ${cell(row.fallback)} | ${cell(row.description)} |`),
    '',
  ].join('\n');
}
