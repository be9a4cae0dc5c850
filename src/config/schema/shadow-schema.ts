// The `shadow` section and a route's `shadow` key (issue 14): which stages record their refusals instead of
// answering them, how many of those go to the audit trail, and how much the shadow report keeps.
import { Type } from './type.js';
import { SHADOW_STAGES } from '../shadow-types.js';
import { choice, integer, list, mapping, optional } from './kinds.js';

/** `true` (every stage), `false` (none) or a list of stages. */
export const ShadowStagesSchema = Type.Union([
  Type.Boolean({ description: 'true: authenticate, rate-limit and authorize; false: enforce everything' }),
  list(choice([...SHADOW_STAGES], 'authenticate, rate-limit or authorize'), 'The stages to shadow', { minItems: 1, errorMessage: 'names no stage' }),
], {
  description: 'Stages that record what they would refuse and let the request go on (the route is OPEN for them): true, false or a list of authenticate, rate-limit, authorize',
  errorMessage: 'expected true, false or a list of authenticate, rate-limit, authorize',
});

export const ShadowSchema = mapping({
  stages: optional({ ...ShadowStagesSchema, description: 'Stages every route shadows unless it sets its own `shadow` (true, false or a list)', default: false }),
  auditPerSecond: optional(integer(0, 100_000, 'Would-be refusals written to the audit trail (denial ring) per second and instance; the rest are counted only', 10)),
  reportEntries: optional(integer(1, 1_000_000, 'Cells (minute, route, stage, code, permission, subject) the shadow report keeps; the oldest go first', 10_000)),
}, 'Shadow mode: stages that decide and record instead of refusing, the audit sampling and the report bound', { default: {} });
