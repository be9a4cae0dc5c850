// The schema as shipped for editors (schema/gateway.config.schema.json, read by yaml-language-server through the
// `# yaml-language-server: $schema=…` line): the validator's schema, plus what an editor cannot know. An editor
// sees `${VAR:-default}` before it is filled in, so every number, boolean, fixed word or formatted string also
// accepts a placeholder; formats editors do not know become patterns; permgate's message annotations are dropped.
import { FORMATS, type FormatName } from './formats.js';
import { GatewayConfigSchema } from './gateway-config-schema.js';
import type { SchemaNode } from './schema-node.js';

const PLACEHOLDER: SchemaNode = { type: 'string', pattern: '\\$\\{', description: 'A ${VAR} or ${VAR:-default} placeholder' };
const ANNOTATIONS = new Set(['errorMessage', 'errorHint']);

function needsPlaceholder(node: SchemaNode): boolean {
  const type = node.type;
  return type === 'integer' || type === 'number' || type === 'boolean' || node.enum !== undefined || node.const !== undefined || node.format !== undefined || node.pattern !== undefined;
}

function forEditor(node: SchemaNode, inUnion = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(key)) continue;
    if (key === 'format' && value in FORMATS) out.pattern = FORMATS[value as FormatName].pattern;
    else if (key === 'properties' || key === 'patternProperties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, SchemaNode>).map(([k, v]) => [k, forEditor(v)]));
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) out[key] = forEditor(value as SchemaNode);
    else if (key === 'anyOf') out[key] = (value as SchemaNode[]).map((branch) => forEditor(branch, true));
    else out[key] = value;
  }
  if (node.anyOf !== undefined && !inUnion && node.anyOf.some(needsPlaceholder)) out.anyOf = [...(out.anyOf as unknown[]), PLACEHOLDER];
  if (inUnion || node.anyOf !== undefined || !needsPlaceholder(node)) return out;
  const { description, default: fallback, ...rest } = out;
  return { ...(description === undefined ? {} : { description }), ...(fallback === undefined ? {} : { default: fallback }), anyOf: [rest, PLACEHOLDER] };
}

/** The editor schema as a JSON document (draft-07, which yaml-language-server and VS Code read). */
export function editorSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...forEditor(GatewayConfigSchema as SchemaNode),
  };
}
