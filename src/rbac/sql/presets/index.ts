// The presets by name, for `rbac.source.sql.preset` and `permgate sql triggers --preset NAME`.
import type { SqlPreset } from '../sql-preset.js';
import { casbinPreset } from './casbin.js';
import { ruoyi } from './ruoyi.js';
import { shiroJdbcPreset } from './shiro-jdbc.js';
import { springSecurityPreset } from './spring-security.js';

const PRESETS: ReadonlyMap<string, SqlPreset> = new Map([ruoyi, springSecurityPreset, shiroJdbcPreset, casbinPreset].map((preset) => [preset.name, preset]));

/** The preset of that name, or undefined (`none` and unknown names alike). */
export function presetByName(name: string): SqlPreset | undefined {
  return PRESETS.get(name);
}

/** Every preset's name, for messages and the schema. */
export function presetNames(): readonly string[] {
  return [...PRESETS.keys()];
}
