// gateway.config.yaml as one JSON Schema: every key with its type, default and a one-line description. The
// validator checks documents against it (schema-issues.ts), `npm run schema` ships it for editors and writes the
// configuration reference from it (docs/configuration.md).
import type { Static } from './type.js';
import { AuthSchema } from './auth-schema.js';
import { mapping, optional } from './kinds.js';
import { RateLimitsSchema } from './rate-limit-schema.js';
import { RbacSchema } from './rbac-schema.js';
import { RoutesSchema, UpstreamsSchema } from './route-schema.js';
import { ServerSchema } from './server-schema.js';
import { ShadowSchema } from './shadow-schema.js';
import { StoreSchema } from './store-schema.js';
import { TracingSchema } from './tracing-schema.js';

export const GatewayConfigSchema = mapping({
  server: optional(ServerSchema),
  store: optional(StoreSchema),
  auth: optional(AuthSchema),
  rbac: optional(RbacSchema),
  rateLimits: optional(RateLimitsSchema),
  tracing: optional(TracingSchema),
  shadow: optional(ShadowSchema),
  upstreams: UpstreamsSchema,
  routes: RoutesSchema,
}, 'permgate gateway configuration', { title: 'permgate gateway.config.yaml' });

/** The document once its defaults are filled and the schema holds: what the semantic checks (validate*.ts) read. */
export type ConfigDocument = Static<typeof GatewayConfigSchema>;
