// docs/request-lifecycle.md follows the journey the gateway builds, names only codes that exist, and no code comment
// points outside the repository.
//
// The journey is built with the gateway's own `buildJourney` and `parseConfig`, found by the name they export rather
// than by file path, so moving or renaming a file keeps this test meaningful; renaming a stage does not.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { ERRORS } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(ROOT, 'docs', 'request-lifecycle.md');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** Imports the one module under src/ that exports `name` as a function. */
async function exported<T>(name: string): Promise<T> {
  const declares = new RegExp(`export\\s+(?:async\\s+)?function\\s+${name}\\b|export\\s+const\\s+${name}\\b`);
  const holders: string[] = [];
  for (const file of await sourceFiles('src')) {
    if (declares.test(await readFile(join(ROOT, file), 'utf8'))) holders.push(file);
  }
  if (holders.length !== 1) throw new Error(`expected one module under src/ exporting ${name}, found ${holders.length}: ${holders.join(', ')}`);
  const module = (await import(pathToFileURL(join(ROOT, holders[0]!)).href)) as Record<string, unknown>;
  return module[name] as T;
}

const MINIMAL_CONFIG = `server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
upstreams:
  svc: { url: "http://127.0.0.1:9" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`;

/**
 * The stage names of the fullest journey: every optional part present (a rate limiter, revocations). The parts are
 * stand-ins, since building a journey only stores them; no request is run.
 */
async function journeyStageNames(): Promise<string[]> {
  const parseConfig = await exported<(text: string, file: string, env: Record<string, string>) => unknown>('parseConfig');
  const buildJourney = await exported<(loaded: unknown, deps: unknown) => { readonly stages: readonly { readonly name: string }[] }>('buildJourney');
  const loaded = parseConfig(MINIMAL_CONFIG, 'docs-test.yaml', {});
  const part = {};
  const { stages } = buildJourney(loaded, {
    authenticator: part,
    authorizer: part,
    authorization: { onDenied() {}, exposeMissingCode: true },
    revocations: { list: part, onStoreDown: 'deny', outcomes: { onCheck() {} } },
    rateLimiter: part,
    forwarder: part,
    record: { logs: { fieldLength: 1 } },
  });
  return stages.map((stage) => stage.name);
}

/** Markdown headings (`#` to `######`) outside fenced code blocks, in order. */
function headings(markdown: string): string[] {
  const found: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced && /^#{1,6}\s/.test(line)) found.push(line.replace(/^#{1,6}\s+/, ''));
  }
  return found;
}

/** True when `heading` names `stage` as a whole word (`match-route` is not found in `match-route-cache`). */
function names(heading: string, stage: string): boolean {
  const escaped = stage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`).test(heading);
}

t.test('every stage of the journey the gateway builds has a heading in docs/request-lifecycle.md, in journey order', async (t) => {
  const stages = await journeyStageNames();
  t.ok(stages.length >= 8, `the fullest journey has its stages (${stages.join(' → ')})`);
  const titles = headings(await readFile(DOC, 'utf8'));
  let previous = -1;
  for (const stage of stages) {
    const at = titles.findIndex((title) => names(title, stage));
    t.ok(at !== -1, `"${stage}" is a heading`);
    t.ok(at > previous, `"${stage}" comes after the stage before it`);
    previous = at;
  }
});

t.test('every PG_* code docs/request-lifecycle.md names exists in the error catalogue', async (t) => {
  const doc = await readFile(DOC, 'utf8');
  const named = new Set([...doc.matchAll(/\bPG_[A-Z0-9_]+\b/g)].map((m) => m[0]));
  t.ok(named.size > 0, 'the page names codes');
  for (const code of named) t.ok(Object.hasOwn(ERRORS, code), `${code} is in src/errors.ts`);
});

t.test('every status docs/request-lifecycle.md gives a code is that code\'s status', async (t) => {
  const doc = await readFile(DOC, 'utf8');
  for (const [, status, code] of doc.matchAll(/`(\d{3}) (PG_[A-Z0-9_]+)`/g)) {
    const entry = (ERRORS as Record<string, { status: number }>)[code!];
    t.equal(entry?.status, Number(status), `${code} is ${status}`);
  }
});

t.test('no code comment points to a file outside the repository (security rules, style, toolchain notes live in docs/)', async (t) => {
  // Built from parts so this file does not match itself.
  const outside = new RegExp(['SECURITY', 'TOOLCHAIN', 'STYLE'].map((name) => `\\b${name}\\.md\\b`).concat(['\\.\\./' + 'shared\\b']).join('|'));
  const self = relative(ROOT, fileURLToPath(import.meta.url));
  const files = [...(await sourceFiles('src')), ...(await sourceFiles('test')), ...(await sourceFiles('bench'))].filter((file) => file !== self);
  t.ok(files.some((file) => file.startsWith('src')), 'src/ is searched');
  for (const file of files) {
    const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (outside.test(line)) t.fail(`${file}:${i + 1} cites a file outside the repository: ${line.trim()}`);
    });
  }
  t.pass('searched src/, test/ and bench/');
});
