// `${VAR}` and `${VAR:-default}` from the environment. Placeholders are swapped for same-length sentinels before
// the YAML is parsed (so `{ token: ${X:-} }` stays valid flow YAML and lines and columns stay true), and filled in
// scalar by scalar after it (so a value from the environment can never add YAML structure).
import { isPair, isScalar, isSeq, visit, type Document } from 'yaml';
import { formatKeyPath } from './config-error.js';

export interface Placeholder {
  readonly name: string;
  readonly fallback: string | undefined;
}

const PLACEHOLDER = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}\n]*))?\}/g;
const MARK = '\uE000';
const PAD = '\uE001';
const SENTINEL = /\uE000([0-9a-z]+)\uE000\uE001*/g;

/** Replaces each placeholder by a sentinel of the same length. `$$` is a literal `$`, kept as is until filled. */
export function maskPlaceholders(text: string): { masked: string; placeholders: Placeholder[] } {
  const placeholders: Placeholder[] = [];
  const masked = text.replace(PLACEHOLDER, (whole, name: string | undefined, fallback: string | undefined) => {
    if (name === undefined) return whole; // `$$`
    const token = MARK + placeholders.length.toString(36) + MARK;
    placeholders.push({ name, fallback });
    if (token.length > whole.length) throw new Error('too many ${} placeholders in one file');
    return token + PAD.repeat(whole.length - token.length);
  });
  return { masked, placeholders };
}

export interface UnsetVariable {
  readonly name: string;
  /** The scalar node's offset in the file. */
  readonly offset: number;
  readonly keyPath: string;
}

/** Fills the sentinels in every scalar of the document; reports variables that are unset and have no default. */
export function fillPlaceholders(doc: Document, placeholders: readonly Placeholder[], env: NodeJS.ProcessEnv): UnsetVariable[] {
  const unset: UnsetVariable[] = [];
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes(MARK) && !node.value.includes('$$')) return;
      const filled = node.value.replace(SENTINEL, (_whole, index: string) => {
        const placeholder = placeholders[parseInt(index, 36)]!;
        const value = env[placeholder.name];
        // Shell semantics: `${X:-d}` takes d when X is unset or empty; `${X}` takes an empty X as it is.
        if (value !== undefined && (value !== '' || placeholder.fallback === undefined)) return value;
        if (placeholder.fallback !== undefined) return placeholder.fallback;
        unset.push({ name: placeholder.name, offset: node.range?.[0] ?? 0, keyPath: keyPathOf(ancestors, node) });
        return '';
      });
      node.value = filled.replaceAll('$$', '$');
    },
  });
  return unset;
}

/** The key path of a node from its ancestors as `visit` gives them: pair keys and sequence indexes. */
function keyPathOf(ancestors: readonly unknown[], node: unknown): string {
  const path: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent) && isScalar(parent.key)) path.push(String(parent.key.value));
    else if (isSeq(parent)) path.push(parent.items.indexOf(child as never));
  }
  return formatKeyPath(path);
}
