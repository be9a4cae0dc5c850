// Why a decision went the way it did: for each required code, the sources whose grants cover it and those whose
// denies refuse it. Built from the same sources as the compiled form, by the slow obvious rule (patternCovers).
import type { PermissionCode } from '../routing/permission-template.js';
import { parsePermissionPattern, patternCovers } from './permission-pattern.js';
import type { PermissionSource } from './sources.js';

export interface CodeExplanation {
  readonly code: PermissionCode;
  readonly allowed: boolean;
  readonly grantedBy: readonly { readonly pattern: string; readonly via: string }[];
  readonly deniedBy: readonly { readonly pattern: string; readonly via: string }[];
}

export function explainCodes(sources: readonly PermissionSource[], codes: readonly PermissionCode[]): CodeExplanation[] {
  return codes.map((code) => {
    const grantedBy = [];
    const deniedBy = [];
    for (const source of sources) {
      for (const pattern of source.grants) if (patternCovers(parsePermissionPattern(pattern), code)) grantedBy.push({ pattern, via: source.via });
      for (const pattern of source.denies) if (patternCovers(parsePermissionPattern(pattern), code)) deniedBy.push({ pattern, via: source.via });
    }
    return { code, allowed: deniedBy.length === 0 && grantedBy.length > 0, grantedBy, deniedBy };
  });
}
