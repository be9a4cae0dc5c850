// A state file for the embedded SQLite store in a temp dir of the test's own, removed when the test ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export async function stateFile(t: Test, name = 'state.db'): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-state-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return { dir, path: join(dir, name) };
}
