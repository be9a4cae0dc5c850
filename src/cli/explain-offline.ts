// `permgate explain`: the decision for one caller and request from the config file alone (its routes and its static
// `rbac` policy; dynamic bindings live in the running fleet's store: ask GET /admin/decision for those).
import type { LoadedConfig } from '../config/load.js';
import type { Identity } from '../auth/identity.js';
import { isIP } from 'node:net';
import { parseExpiry } from '../config/schema/formats.js';
import { explainRequest, type ExplainedContext, type RequestExplanation } from '../rbac/explain-request.js';
import { RbacAuthorizer } from '../rbac/rbac-authorizer.js';
import { MemoryRbacStore } from '../stores/memory/memory-rbac-store.js';

/** `--ip`, `--at` and `--claims` as conditions on grants read them, or what is wrong with them. */
export function explainContext(ip: string | undefined, at: string | undefined, claims: string | undefined): ExplainedContext | string {
  if (ip !== undefined && isIP(ip) === 0) return '--ip must be an IPv4 or IPv6 address';
  const when = at === undefined ? undefined : parseExpiry(at);
  if (at !== undefined && when === undefined) return '--at must be a moment with a zone, e.g. 2026-12-01T09:30:00+01:00';
  let parsed: unknown;
  if (claims !== undefined) {
    try {
      parsed = JSON.parse(claims);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return '--claims must be a JSON object, e.g. \'{"amr":["mfa"]}\'';
  }
  return { address: ip, at: when, claims: parsed as Record<string, unknown> | undefined };
}

export async function explainOffline(loaded: LoadedConfig, identity: Identity, method: string, path: string, context: ExplainedContext = {}): Promise<RequestExplanation> {
  const { config } = loaded;
  const authorizer = new RbacAuthorizer(config.rbac, new MemoryRbacStore());
  await authorizer.start();
  try {
    return await explainRequest(loaded.routes, config.server.paths, authorizer, identity, method, path, context);
  } finally {
    await authorizer.close();
  }
}
