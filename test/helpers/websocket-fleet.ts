// Two gateway instances on one private Redis in front of a WebSocket echo upstream, with the admin API open to an
// admin token: for proving that a change made through one instance closes a socket open on the other.
import type { Test } from 'tap';
import { startGateway, type GatewayUnderTest } from './gateway-under-test.js';
import { startPrivateRedis } from './private-redis.js';
import { hsAuth } from './tokens.js';
import { startEchoUpstream, type EchoUpstream } from './websocket-peers.js';

export const ADMIN = 'admin-token-for-websocket-tests-0123456789';

export interface WebSocketFleet {
  readonly a: GatewayUnderTest;
  readonly b: GatewayUnderTest;
  readonly upstream: EchoUpstream;
  /** Calls instance `gw`'s admin API; throws unless it answers 2xx. */
  admin(gw: GatewayUnderTest, method: string, path: string, body?: unknown): Promise<void>;
}

export async function webSocketFleet(t: Test, rbac = ''): Promise<WebSocketFleet> {
  const redis = await startPrivateRedis();
  const upstream = await startEchoUpstream();
  const yaml = `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store:
  redis: "${redis.url}"
${hsAuth({ revocation: '{ syncInterval: 100ms }' })}
rbac:
  syncInterval: 100ms
  tokenScopes: true
${rbac}upstreams:
  chat: { url: "${upstream.url}" }
routes:
  - { path: /chat/**, upstream: chat, permission: chat:join, websocket: true }
`;
  const a = await startGateway(yaml);
  const b = await startGateway(yaml);
  t.teardown(async () => {
    await a.close();
    await b.close();
    await upstream.close();
    await redis.close();
  });
  return {
    a,
    b,
    upstream,
    async admin(gw, method, path, body) {
      const res = await fetch(`${gw.adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    },
  };
}
