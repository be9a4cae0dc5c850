// The console's files, as `npm run build` leaves them in dist/console/ (scripts/build-console.mjs): read once, kept
// in memory with their gzip form and an ETag (the content's hash), so a browser revalidates and gets 304 until an
// upgrade changes a file. Nothing is ever fetched from elsewhere.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface ConsoleAsset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The package root: the nearest folder above this file with a package.json (src/ in tests, dist/src/ when built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above the console module');
    dir = up;
  }
  return dir;
}

export const CONSOLE_DIST = join(packageRoot(), 'dist', 'console');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Every file of the built console by its path under /console/assets/ (`main.js`, `pages/overview.js`). */
export function loadConsoleAssets(dir = CONSOLE_DIST): ReadonlyMap<string, ConsoleAsset> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, ConsoleAsset>();
  for (const path of files(dir)) {
    const type = TYPES[extname(path)];
    if (type === undefined) continue; // source maps and the like are not served
    const body = readFileSync(path);
    const name = relative(dir, path).split(sep).join('/');
    assets.set(name, { type, body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return assets;
}
