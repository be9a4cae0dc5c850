// The presets by name, for `rbac.source.sql.preset` and `permgate sql triggers --preset NAME`.
import type { SqlPreset } from '../sql-preset.js';
import { ruoyi } from './ruoyi.js';

const PRESETS: ReadonlyMap<string, SqlPreset> = new Map([[ruoyi.name, ruoyi]]);

/** The preset of that name, or undefined (`none` and unknown names alike). */
export function presetByName(name: string): SqlPreset | undefined {
  return PRESETS.get(name);
}

/** Every preset's name, for messages and the schema. */
export function presetNames(): readonly string[] {
  return [...PRESETS.keys()];
}
