// The import rules of issue 11: src/ has no import cycle, and no domain folder (auth, rbac, ratelimit, routing)
// imports Fastify or the pipeline. Read from the source text, so a rule broken by a new file fails here first.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');
const DOMAIN = ['auth', 'rbac', 'ratelimit', 'routing'];
// `import … from '…'`, `import type … from '…'`, `export … from '…'` and side-effect `import '…'`. `import type`
// edges count: a type-only cycle is erased at run time but still ties the files' meanings together.
const IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every file under src/ (relative to it) with what it imports: relative imports as src/ files, packages by name. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(src)) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const [, specifier] of text.matchAll(IMPORT)) {
      if (specifier!.startsWith('.')) targets.push(relative(src, resolve(dirname(file), specifier!)).replace(/\.js$/, '.ts'));
      else targets.push(specifier!);
    }
    graph.set(relative(src, file), targets);
  }
  return graph;
}

/**
 * Every import cycle, as the groups of files that reach each other (Tarjan's strongly connected components), each
 * with one cycle through it for the message.
 */
function findCycles(graph: Map<string, string[]>): { files: string[]; cycle: string[] }[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue; // a package, or a file outside src/
      if (!index.has(next)) {
        connect(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, index.get(next)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1 || graph.get(file)!.includes(file)) groups.push(group.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file);
  return groups.map((files) => ({ files, cycle: cycleThrough(graph, new Set(files), files[0]!) }));
}

/** A shortest path from `start` back to itself inside one group (breadth first). */
function cycleThrough(graph: Map<string, string[]>, group: Set<string>, start: string): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of graph.get(file)!) {
      if (!group.has(next)) continue;
      if (next === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(from.get(path[0]!)!);
        return [...path, start];
      }
      if (!from.has(next)) {
        from.set(next, file);
        queue.push(next);
      }
    }
  }
  return [start];
}

const graph = importGraph();

t.test('the import graph is read from every file under src/', async (t) => {
  t.ok(graph.size > 50, `${graph.size} files`);
  t.ok(graph.get('pipeline/index.ts')?.includes('pipeline/stage.ts'), 'a relative .js import resolves to its .ts file');
});

t.test('src/ has no import cycle (import type edges count)', async (t) => {
  t.same(findCycles(graph).map(({ cycle }) => cycle.join(' → ')), [], 'no file reaches itself through its imports');
});

t.test('no domain folder imports Fastify or the pipeline', async (t) => {
  const broken: string[] = [];
  for (const [file, targets] of graph) {
    if (!DOMAIN.includes(file.split('/')[0]!)) continue;
    for (const target of targets) {
      if (target === 'fastify' || target.startsWith('fastify/') || target.startsWith('pipeline/')) broken.push(`${file} imports ${target}`);
    }
  }
  t.same(broken, [], 'auth/, rbac/, ratelimit/ and routing/ see values and ports only');
});

t.test('the data plane meets Fastify in one file: the adapter; other code outside admin/ may name its types only', async (t) => {
  const VALUE_IMPORT = /^\s*import\s+(?!type\b)[^'";]*?\s+from\s+['"]fastify['"]/m;
  const values: string[] = [];
  for (const file of sources(src)) {
    const name = relative(src, file);
    if (name.startsWith('admin/')) continue;
    if (VALUE_IMPORT.test(readFileSync(file, 'utf8'))) values.push(name);
  }
  t.same(values, ['server/data-plane.ts'], 'only server/data-plane.ts builds data-plane Fastify code');
  const typed = [...graph].filter(([file, targets]) => !file.startsWith('admin/') && targets.includes('fastify')).map(([file]) => file).sort();
  t.same(typed, ['gateway.ts', 'observability/logger.ts', 'server/data-plane.ts'], 'the composition root and the logger options name its types');
});

t.test('no code outside stores/ asks which store family it has', async (t) => {
  const STORE_CLASS = /\binstanceof\s+(?:Memory|Sqlite|Redis)\w*Store\b|\bstore\.kind\s*===/;
  const asking: string[] = [];
  for (const file of sources(src)) {
    const name = relative(src, file);
    if (name.startsWith('stores/')) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (STORE_CLASS.test(line)) asking.push(`${name}:${i + 1}: ${line.trim()}`);
    });
  }
  t.same(asking, [], 'the Store makes its own parts (stores/store.ts)');
});

t.test('forwarding sees neither Fastify nor the pipeline: the adapter gives it a ClientReply', async (t) => {
  const broken: string[] = [];
  for (const [file, targets] of graph) {
    if (!file.startsWith('upstream/')) continue;
    for (const target of targets) if (target === 'fastify' || target.startsWith('pipeline/')) broken.push(`${file} imports ${target}`);
  }
  t.same(broken, []);
});
