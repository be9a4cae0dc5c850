// Shadow mode (issue 14): the stages of a route that decide and record instead of refusing. A shadowed route is OPEN
// for what those stages would have refused; README "Shadow mode" says so plainly.

/** What an operator may shadow, by the name the config uses (each covers one or two journey stages: src/shadow/). */
export const SHADOW_STAGES = ['authenticate', 'rate-limit', 'authorize'] as const;
export type ShadowStage = (typeof SHADOW_STAGES)[number];

/** A route that enforces everything. */
export const NO_SHADOW: ReadonlySet<ShadowStage> = new Set();

export interface ShadowConfig {
  /** Stages every route shadows unless it sets its own `shadow` (empty: every route enforces). */
  readonly stages: ReadonlySet<ShadowStage>;
  /** Would-be refusals written to the audit trail per second per instance; the rest are only counted. */
  readonly auditPerSecond: number;
  /** (minute, route, stage, code, permission, subject) cells the shadow report keeps; the oldest go first. */
  readonly reportEntries: number;
}
