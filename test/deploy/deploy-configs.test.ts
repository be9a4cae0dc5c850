// The gateway configs deploy/ ships (each ConfigMap's gateway.config.yaml, each compose config file) are valid for
// permgate's own validator, with every ${VAR} filled as its Secret or compose environment would fill it, and say
// what the manifests assume: the status listener on 0.0.0.0:9902 and a drain delay (issue 12).
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { gatewayConfigsInDeploy } from './deploy-files.js';

/** A value of the kind each placeholder's Secret key holds; never a real credential. */
function placeholderValue(name: string): string {
  if (name.endsWith('_URL')) return name.includes('REDIS') ? 'redis://:placeholder@redis.example.internal:6379/0' : 'http://upstream.example.internal:8080';
  if (name.includes('SECRET')) return 'a-jwt-secret-for-the-deploy-test-only-0123456789';
  if (name.includes('TOKEN')) return 'an-admin-token-for-the-deploy-test-0123456789';
  if (name.includes('PASSWORD')) return 'a-password-for-the-deploy-test';
  return 'placeholder';
}

const configs = gatewayConfigsInDeploy();

t.test('deploy/ ships a gateway config per Kubernetes set and per compose file', async (t) => {
  t.ok(configs.length >= 4, configs.map((config) => config.where).join(', '));
});

for (const config of configs) {
  t.test(`${config.where} is valid for permgate`, async (t) => {
    const env = Object.fromEntries([...config.text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map(([, name]) => [name!, placeholderValue(name!)]));
    const loaded = parseConfig(config.text, config.where, env);
    const { server } = loaded.config;
    t.same(server.status, { host: '0.0.0.0', port: 9902 }, 'probes reach the status listener on the pod address, port 9902');
    t.equal(server.admin.host, '127.0.0.1', 'the admin API stays inside');
    t.ok(server.drainDelay > 0 && server.drainDelay < server.drainTimeout, `drainDelay ${server.drainDelay} ms, drainTimeout ${server.drainTimeout} ms`);
    t.ok(loaded.routes.routes.length > 0, `${loaded.routes.routes.length} routes`);
  });
}
