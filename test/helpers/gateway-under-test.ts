// Starts a real, listening gateway from YAML text (ports 0), with logging off and no process metrics.
import type { Test } from 'tap';
import { resolve } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_STATE_FILE } from '../../src/config/validate.js';
import { buildGateway, type Gateway, type GatewayDeps } from '../../src/gateway.js';
import { openStore } from '../../src/stores/open-store.js';
import { startRecordingUpstream, type RecordingUpstream } from './recording-upstream.js';

export interface GatewayUnderTest {
  readonly gateway: Gateway;
  readonly url: string;
  /** Every data-plane listener's base URL, in config order (`url` is the first). */
  readonly urls: readonly string[];
  readonly port: number;
  readonly adminUrl: string;
  close(): Promise<void>;
}

/**
 * `yaml` may use ${VAR} placeholders filled from `env` (e.g. the recording upstream's URL).
 * `server.listen` and `server.admin` default to 127.0.0.1 on port 0 unless the YAML sets them.
 * The embedded store is kept in memory unless the YAML names a `store.path` (a file in the test's own temp dir): tests
 * run in parallel and must never share, lock or leave behind the default state file in the working directory.
 */
export async function startGateway(yaml: string, env: Record<string, string> = {}, deps: GatewayDeps = {}): Promise<GatewayUnderTest> {
  const text = yaml.includes('server:')
    ? yaml
    : `server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n${yaml}`;
  const loaded = parseConfig(text, 'test.yaml', env);
  const { store: storeConfig } = loaded.config;
  const defaultFile = storeConfig.redis === undefined && storeConfig.path === resolve(DEFAULT_STATE_FILE);
  const store = deps.store ?? (defaultFile ? openStore({ ...storeConfig, path: undefined }) : undefined);
  const gateway = await buildGateway(loaded, { logger: false, processMetrics: false, ...deps, ...(store ? { store } : {}) });
  const { url, urls, adminUrl } = await gateway.listen();
  return { gateway, url, urls, port: Number(new URL(url).port), adminUrl, close: () => gateway.close() };
}

/**
 * A recording upstream and a gateway in front of it, both closed when the test ends. `yaml` receives the upstream's
 * URL.
 */
export async function gatewayWithUpstream(
  t: Test,
  yaml: (upstreamUrl: string) => string,
  env: Record<string, string> = {},
  deps: GatewayDeps = {},
): Promise<{ gw: GatewayUnderTest; upstream: RecordingUpstream }> {
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(yaml(upstream.url), env, deps);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  return { gw, upstream };
}
