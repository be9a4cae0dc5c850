// Issue 12's "done when" on one Redis (test/fleet/done-when.ts has the run). One node has no replica to promote:
// its "killed master" is a kill -9 and a restart on the same port a second later, with the append-only file synced
// on every write (how a lone production Redis keeps revocations), so the store comes back with what it held.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { freePort } from '../helpers/private-redis.js';
import { restartableProcess } from '../helpers/restartable-process.js';
import { doneWhen, keyOnNodes } from './done-when.js';

t.test('two instances × two workers on one Redis: every criterion of the done-when in one run', async (t) => {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'permgate-done-when-'));
  const redis = restartableProcess('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], 'Ready to accept connections');
  await redis.start();
  t.teardown(async () => {
    await redis.kill();
    await rm(dir, { recursive: true, force: true });
  });
  await doneWhen(t, {
    store: `redis://127.0.0.1:${port}`,
    keyMatching: (pattern) => keyOnNodes([`127.0.0.1:${port}`], pattern),
    async killMasterOf() {
      await redis.kill();
      return { promoted: new Promise((resolve) => setTimeout(resolve, 1_000)).then(() => redis.start()) };
    },
  });
});
