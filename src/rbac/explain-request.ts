// The whole decision for one (caller, method, path), explained: the route it matches, the codes it requires, and for
// each code the grants that allow it or the deny that refuses it. Serves GET /admin/decision and `permgate explain`.
import { isGatewayError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import { normalizeTarget, type NormalizeOptions } from '../routing/normalize-path.js';
import type { RouteTable } from '../routing/route-table.js';
import type { CodeExplanation } from './explain.js';
import { NAME } from './model.js';
import type { RbacAuthorizer } from './rbac-authorizer.js';
import { MatchedRequestFacts } from './request-facts.js';
import type { ConditionCheck } from './condition.js';

/** What conditions on grants look at, as the one asking says the request would carry it. */
export interface ExplainedContext {
  /** The resolved client address. */
  readonly address?: string | undefined;
  /** The token's claims. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
  /** When the request is made (ms since the epoch); absent: now. */
  readonly at?: number | undefined;
}

export interface RequestExplanation {
  readonly method: string;
  readonly path: string;
  readonly subject: string;
  /** allow / deny: the RBAC decision; public: no permission needed; refused: the request never reaches RBAC. */
  readonly decision: 'allow' | 'deny' | 'public' | 'refused';
  /** Why a request is refused before RBAC (no route, bad path…): the error code it would get. */
  readonly refusedWith?: string;
  readonly route?: { readonly pattern: string; readonly upstream: string; readonly sensitive: boolean };
  readonly tenant?: string | undefined;
  readonly required?: { readonly mode: 'all' | 'any'; readonly codes: readonly string[] };
  readonly codes?: readonly CodeExplanation[];
  /** Every role the caller holds here, inherited ones included. */
  readonly roles?: readonly string[];
}

export async function explainRequest(
  routes: RouteTable,
  options: NormalizeOptions,
  authorizer: RbacAuthorizer,
  identity: Identity,
  method: string,
  rawPath: string,
  context: ExplainedContext = {},
): Promise<RequestExplanation> {
  const base = { method, path: rawPath, subject: identity.subject };
  let match;
  try {
    match = routes.match(method, normalizeTarget(rawPath, options));
  } catch (err) {
    if (isGatewayError(err)) return { ...base, decision: 'refused', refusedWith: err.code };
    throw err;
  }
  const config = match.route.config;
  const route = { pattern: match.route.pattern, upstream: match.route.upstream.name, sensitive: config.sensitive };
  if (config.auth === 'none') return { ...base, decision: 'public', route };
  let tenant = identity.tenant;
  if (config.tenantParam !== undefined) {
    tenant = match.param(config.tenantParam);
    if (!NAME.test(tenant)) return { ...base, decision: 'refused', refusedWith: 'PG_PARAM_INVALID', route };
  }
  const facts = new MatchedRequestFacts(identity.subject, context.address, context.claims, match.param);
  const explained = await authorizer.explain({ identity, tenant, codes: match.permissions, mode: match.mode, facts }, context.at);
  return {
    ...base,
    decision: explained.allowed ? 'allow' : 'deny',
    route,
    tenant,
    required: { mode: match.mode, codes: match.permissions },
    codes: explained.codes,
    roles: explained.roles,
  };
}

/** The explanation as text, for the terminal. */
export function explanationText(e: RequestExplanation): string {
  const lines = [`${e.method} ${e.path}  →  ${e.decision.toUpperCase()}${e.refusedWith ? ` (${e.refusedWith})` : ''}`];
  if (e.route) lines.push(`  route     ${e.route.pattern} → ${e.route.upstream}${e.route.sensitive ? ' (sensitive)' : ''}`);
  lines.push(`  subject   ${e.subject}${e.tenant !== undefined ? ` in tenant ${e.tenant}` : ''}`);
  if (e.roles) lines.push(`  roles     ${e.roles.length > 0 ? e.roles.join(', ') : '(none)'}`);
  if (e.required) lines.push(`  requires  ${e.required.mode === 'all' ? 'all of' : 'any of'} ${e.required.codes.join(', ')}`);
  for (const code of e.codes ?? []) {
    lines.push(`  ${code.code}: ${code.allowed ? 'allowed' : code.deniedBy.length > 0 ? 'DENIED' : 'MISSING'}`);
    for (const d of code.deniedBy) lines.push(`      denied by  ${d.pattern}  ← ${d.via}`);
    for (const g of code.grantedBy) lines.push(`      granted by ${g.pattern}  ← ${g.via}${conditionsText(g.conditions)}`);
    for (const g of code.conditionFailed) lines.push(`      not now:   ${g.pattern}  ← ${g.via}${conditionsText(g.conditions)}`);
    if (code.grantedBy.length === 0 && code.deniedBy.length === 0 && code.conditionFailed.length === 0) lines.push('      no grant covers it');
  }
  return lines.join('\n');
}

function conditionsText(checks: readonly ConditionCheck[] | undefined): string {
  if (checks === undefined || checks.length === 0) return '';
  return `  when ${checks.map((c) => `${c.key} ${c.wants} ${c.held ? '✓ held' : '✗ failed'}`).join('; ')}`;
}
