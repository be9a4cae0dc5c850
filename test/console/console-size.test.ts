// The whole console — every file the admin listener serves under /console/ — stays under 150 KB gzipped (issue 15's
// aim), measured on the files as loadConsoleAssets() serves them; and none of them names another origin to fetch from.
import t from 'tap';
import { loadConsoleAssets } from '../../src/admin/console/console-assets.js';
import { ensureConsoleBuilt } from '../helpers/console-gateway.js';

const AIM = 150 * 1024;

t.test('the console is under 150 KB gzipped, all its files together', async (t) => {
  ensureConsoleBuilt();
  const assets = loadConsoleAssets()!;
  t.ok(assets.has('index.html') && assets.has('main.js') && assets.has('console.css'), 'the shell, its script and its style are there');
  let gzipped = 0;
  let raw = 0;
  for (const asset of assets.values()) {
    gzipped += asset.gzip.length;
    raw += asset.body.length;
  }
  t.comment(`${assets.size} files, ${raw} bytes, ${gzipped} bytes gzipped`);
  t.ok(gzipped < AIM, `${gzipped} bytes gzipped, under ${AIM}`);
});

t.test('no file refers to another origin: nothing is fetched from the internet', async (t) => {
  ensureConsoleBuilt();
  for (const [name, asset] of loadConsoleAssets()!) {
    if (!asset.type.startsWith('text/')) continue;
    // The SVG namespace is an identifier, not a fetch.
    const text = asset.body.toString('utf8').replaceAll('http://www.w3.org/2000/svg', '');
    t.notMatch(text, /https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, `${name} names no other origin`);
  }
});
