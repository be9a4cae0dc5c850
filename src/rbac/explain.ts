// Why a decision went the way it did: for each required code, the sources whose grants cover it and those whose
// denies refuse it. Built from the same sources as the compiled form, by the slow obvious rule (patternCovers).
// A conditional grant that covers the code is listed with each of its conditions and whether it held.
import type { PermissionCode } from '../routing/permission-template.js';
import type { CompiledCondition, ConditionCheck, RequestFacts } from './condition.js';
import { forSubject, namesSubject, parsePermissionPattern, patternCovers, SUBJECT_PART } from './permission-pattern.js';
import type { PermissionSource } from './sources.js';

export interface PatternExplanation {
  readonly pattern: string;
  readonly via: string;
  /** For a conditional grant: each condition and whether it held for this request. */
  readonly conditions?: readonly ConditionCheck[];
}

export interface CodeExplanation {
  readonly code: PermissionCode;
  readonly allowed: boolean;
  readonly grantedBy: readonly PatternExplanation[];
  readonly deniedBy: readonly PatternExplanation[];
  /** Conditional grants that cover the code but whose condition did not hold. */
  readonly conditionFailed: readonly PatternExplanation[];
}

/** Whether `pattern`, as held by `subject` (its `{subject}` parts filled in), covers `code`. */
export function coversFor(pattern: string, subject: string, code: string, deny = false): boolean {
  let filled: string | undefined = pattern;
  if (namesSubject(pattern)) filled = forSubject(pattern, subject) ?? (deny ? pattern.replaceAll(SUBJECT_PART, '*') : undefined);
  return filled !== undefined && patternCovers(parsePermissionPattern(filled), code);
}

export function explainCodes(
  sources: readonly PermissionSource[],
  codes: readonly PermissionCode[],
  subject: string,
  facts: RequestFacts | undefined,
  now: number,
): CodeExplanation[] {
  return codes.map((code) => {
    const grantedBy: PatternExplanation[] = [];
    const deniedBy: PatternExplanation[] = [];
    const conditionFailed: PatternExplanation[] = [];
    const conditional = (pattern: string, via: string, when: CompiledCondition): void => {
      const conditions = when.explain(facts, now);
      const held = facts !== undefined && when.test(facts, now);
      (held ? grantedBy : conditionFailed).push({ pattern, via, conditions });
    };
    for (const source of sources) {
      for (const pattern of source.grants) {
        if (!coversFor(pattern, subject, code)) continue;
        if (source.when === undefined) grantedBy.push({ pattern, via: source.via });
        else conditional(pattern, source.via, source.when);
      }
      for (const grant of source.conditionalGrants ?? []) if (coversFor(grant.pattern, subject, code)) conditional(grant.pattern, source.via, grant.when);
      for (const pattern of source.denies) if (coversFor(pattern, subject, code, true)) deniedBy.push({ pattern, via: source.via });
    }
    return { code, allowed: deniedBy.length === 0 && grantedBy.length > 0, grantedBy, deniedBy, conditionFailed };
  });
}
