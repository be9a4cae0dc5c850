# permgate: multi-stage build. The runtime image has production dependencies and compiled JavaScript only,
# runs as a non-root user, and reads its configuration from /etc/permgate/gateway.config.yaml (mount your own).
# Node 24 LTS (Node 20 reached end of life in April 2026); CI runs the suite on 20 and 24, so `engines` stays >=20.19.
FROM node:24-bookworm-slim AS build
# better-sqlite3 (the durable embedded store) is compiled from source here: no prebuilt binary is downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
# The admin console's browser code and pages (issue 15), built to dist/console/.
COPY console ./console
COPY scripts/build-console.mjs ./scripts/build-console.mjs
RUN npx tsc -p tsconfig.json && node scripts/build-console.mjs

FROM node:24-bookworm-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/console ./dist/console
COPY package.json ./
COPY gateway.config.yaml /etc/permgate/gateway.config.yaml
# The editor schema its first line names, so a mounted copy edited in place still completes and validates.
COPY schema/gateway.config.schema.json /etc/permgate/schema/gateway.config.schema.json
# The embedded store's file (revocations, dynamic RBAC, audit) lives on a volume the `node` user owns.
RUN mkdir -p /var/lib/permgate && chown node:node /var/lib/permgate
ENV PERMGATE_STATE_FILE=/var/lib/permgate/state.db
VOLUME /var/lib/permgate
USER node
# The data plane and the status listener (server.status: /healthz, /readyz, /metrics, no token). The admin API
# listens on 127.0.0.1 inside the container and is not exposed.
EXPOSE 8080 9902
# Liveness, not readiness: /healthz never depends on Redis, so an outage of the store never marks the container
# unhealthy (under Swarm, restarted). Load balancers and compose's depends_on use /readyz. A config without
# server.status (the shipped one) leaves 9902 closed: then the admin listener's /healthz answers instead.
HEALTHCHECK --interval=10s --timeout=2s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const up=(p)=>fetch('http://127.0.0.1:'+p+'/healthz').then(r=>r.ok);up(process.env.PERMGATE_STATUS_PORT||9902).catch(()=>up(process.env.PERMGATE_ADMIN_PORT||9901)).then(ok=>process.exit(ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["start", "-c", "/etc/permgate/gateway.config.yaml"]
