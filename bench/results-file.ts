// Where a bench run's raw figures go: bench/results/NAME, with the date and the machine, kept out of commits by the
// folder's own .gitignore (bench/RESULTS.md is where figures are kept, by hand).
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './contenders.js';

/** Writes `figures` with the date and the machine first; resolves with the path, relative to the repository. */
export async function writeResultsFile(name: string, figures: Readonly<Record<string, unknown>>): Promise<string> {
  const dir = join(REPO_ROOT, 'bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, '.gitignore'), '*\n!.gitignore\n');
  const json = { date: new Date().toISOString(), machine: { node: process.version, platform: process.platform, cpus: cpus().length }, ...figures };
  await writeFile(join(dir, name), JSON.stringify(json, null, 2) + '\n');
  return `bench/results/${name}`;
}
