// Route-map findings: routes the matcher never reaches for some or all of their methods, and patterns that are the
// same route under other parameter names. Reachability is asked of the compiled RouteTable itself (the matcher the
// data plane uses): each route is probed with paths built from its own pattern, so lint cannot disagree with it.
import type { LoadedConfig } from '../config/load.js';
import { isGatewayError } from '../errors.js';
import { normalizeTarget } from '../routing/normalize-path.js';
import type { CompiledRoute } from '../routing/route-table.js';
import { parsePattern, type PatternSegment } from '../routing/route-trie.js';
import type { Finding } from './finding.js';
import { configPlace } from './places.js';

/** A value no static segment of a real map holds, so a probe reaches what a generic request would. */
const PROBE = 'permgate-lint-probe';

/**
 * Paths that only this route's pattern describes: parameters and `*` filled with the probe value; a trailing `**`
 * as the module root itself, one segment below it and two.
 */
function probePaths(segments: readonly PatternSegment[]): string[] {
  const fixed = segments.filter((s) => s.kind !== 'globstar').map((s) => (s.kind === 'static' ? s.value : PROBE));
  const tails = segments.at(-1)?.kind === 'globstar' ? [[], [PROBE], [PROBE, PROBE]] : [[]];
  return tails.map((tail) => '/' + [...fixed, ...tail].join('/'));
}

type Outcome = 'reached' | { readonly by: CompiledRoute | 'refused' };

/** What the table does with `method` on `path`: this route answers, another one does, or a more specific 405/404. */
function probe(loaded: LoadedConfig, route: CompiledRoute, method: string, path: string): Outcome {
  const target = normalizeTarget(path, { caseInsensitive: loaded.config.server.paths.caseInsensitive });
  try {
    const match = loaded.routes.match(method, target);
    return match.route === route ? 'reached' : { by: match.route };
  } catch (err) {
    // A parameter grammar refused the probe value: the route was the one chosen, or at least lint cannot say not.
    if (isGatewayError(err) && err.code === 'PG_PARAM_INVALID') return 'reached';
    if (isGatewayError(err)) return { by: 'refused' };
    throw err;
  }
}

export function shadowedRoutes(loaded: LoadedConfig): Finding[] {
  const findings: Finding[] = [];
  const caseInsensitive = loaded.config.server.paths.caseInsensitive;
  for (const route of loaded.routes.routes) {
    const paths = probePaths(parsePattern(caseInsensitive ? route.pattern.toLowerCase() : route.pattern));
    const shadowed = new Map<string, string>();
    for (const method of route.methods) {
      const outcomes = paths.map((path) => probe(loaded, route, method, path));
      if (outcomes.includes('reached')) continue;
      const by = (outcomes[0] as { by: CompiledRoute | 'refused' }).by;
      shadowed.set(method, by === 'refused' ? 'a more specific route that does not accept it (405)' : `routes[${by.index}] (${by.pattern})`);
    }
    if (shadowed.size === 0) continue;
    const all = shadowed.size === route.methods.size;
    const takers = [...new Set(shadowed.values())].join(', ');
    findings.push({
      severity: all ? 'error' : 'warning',
      rule: 'route-shadowed',
      message: all
        ? `${route.pattern} can never be reached: every request it describes is taken by ${takers}`
        : `${route.pattern} is never reached for ${[...shadowed.keys()].join(', ')}: taken by ${takers}`,
      place: configPlace(loaded, ['routes', route.index, 'path'], `routes[${route.index}].path`),
    });
  }
  return findings;
}

/** `/x/:id` and `/x/:key`: one shape, so the trie holds them as one route whatever their names say. */
export function routesDifferingOnlyInParameterNames(loaded: LoadedConfig): Finding[] {
  const findings: Finding[] = [];
  const byShape = new Map<string, CompiledRoute>();
  const caseInsensitive = loaded.config.server.paths.caseInsensitive;
  for (const route of loaded.routes.routes) {
    const pattern = caseInsensitive ? route.pattern.toLowerCase() : route.pattern;
    const shape = parsePattern(pattern)
      .map((s) => (s.kind === 'static' ? s.value : s.kind === 'param' ? ':' : s.kind === 'star' ? '*' : '**'))
      .join('/');
    const first = byShape.get(shape);
    if (first === undefined) {
      byShape.set(shape, route);
      continue;
    }
    if (first.pattern === route.pattern) continue; // the same pattern split by methods: intended
    findings.push({
      severity: 'error',
      rule: 'routes-differ-only-in-parameter-names',
      message: `${route.pattern} and routes[${first.index}] (${first.pattern}) are the same route under other parameter names; merge them, or write the same names`,
      place: configPlace(loaded, ['routes', route.index, 'path'], `routes[${route.index}].path`),
    });
  }
  return findings;
}
