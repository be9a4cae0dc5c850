// `permgate explain`: the decision for one caller and request from the config file alone (its routes and its static
// `rbac` policy; dynamic bindings live in the running fleet's store: ask GET /admin/decision for those).
import type { LoadedConfig } from '../config/load.js';
import type { Identity } from '../auth/identity.js';
import { explainRequest, type RequestExplanation } from '../rbac/explain-request.js';
import { RbacAuthorizer } from '../rbac/rbac-authorizer.js';
import { MemoryRbacStore } from '../stores/memory/memory-rbac-store.js';

export async function explainOffline(loaded: LoadedConfig, identity: Identity, method: string, path: string): Promise<RequestExplanation> {
  const { config } = loaded;
  const authorizer = new RbacAuthorizer(config.rbac, new MemoryRbacStore());
  await authorizer.start();
  try {
    return await explainRequest(loaded.routes, config.server.paths, authorizer, identity, method, path);
  } finally {
    await authorizer.close();
  }
}
