// `npm run build` (after the server's tsc): compiles the console's browser code (console/, its own tsconfig with the
// DOM library) and copies its static files, into a fresh folder that then replaces dist/console/ in one rename, so a
// server never reads a half-written console. No bundler: plain ES modules, served by the admin listener.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = join(root, 'dist', 'console');
const fresh = join(root, 'dist', `.console-${process.pid}`);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

mkdirSync(join(root, 'dist'), { recursive: true });
rmSync(fresh, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'console', 'tsconfig.json'), '--outDir', fresh], { stdio: 'inherit' });
cpSync(join(root, 'console', 'static'), fresh, { recursive: true });
const old = `${target}.old-${process.pid}`;
try {
  if (existsSync(target)) renameSync(target, old);
  renameSync(fresh, target);
} catch (err) {
  // Another build (a parallel test file) put its console in place first: the same sources, so keep that one.
  if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(err.code)) throw err;
  rmSync(fresh, { recursive: true, force: true });
}
rmSync(old, { recursive: true, force: true });
