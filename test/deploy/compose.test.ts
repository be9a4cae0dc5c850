// deploy/compose/ without Docker: every file parses, services name only services that exist, no host port is
// published twice, every service has a healthcheck, mounted files exist, and the gateway's stop grace period
// outlasts the drain its config asks for (issue 12).
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COMPOSE_DIR, durationMs, gatewayConfigValues, yamlDocuments } from './deploy-files.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  read_only?: boolean;
  cap_drop?: string[];
}
interface ComposeFile { name?: string; services: Record<string, Service>; volumes?: Record<string, unknown> }

const files = readdirSync(COMPOSE_DIR).filter((file) => /^docker-compose.*\.ya?ml$/.test(file)).sort();
const composeOf = (file: string): ComposeFile => yamlDocuments(join(COMPOSE_DIR, file))[0] as ComposeFile;

t.test('deploy/compose/ has a Redis file and a Sentinel file, each one YAML document with services', async (t) => {
  t.same(files, ['docker-compose.sentinel.yml', 'docker-compose.yml']);
  for (const file of files) {
    t.equal(yamlDocuments(join(COMPOSE_DIR, file)).length, 1, file);
    t.ok(Object.keys(composeOf(file).services).length >= 2, `${file}: services`);
  }
});

t.test('depends_on names only services of the same file, and named volumes are declared', async (t) => {
  for (const file of files) {
    const compose = composeOf(file);
    for (const [name, service] of Object.entries(compose.services)) {
      const dependencies = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const dependency of dependencies) t.ok(compose.services[dependency], `${file}: ${name} depends on ${dependency}, a service`);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/')) t.ok(existsSync(resolve(COMPOSE_DIR, source)), `${file}: ${name} mounts ${source}, which exists`);
        else t.ok(compose.volumes && source in compose.volumes, `${file}: ${name} uses volume ${source}, declared`);
      }
      if (service.build !== undefined) {
        t.ok(existsSync(join(resolve(COMPOSE_DIR, service.build.context), service.build.dockerfile ?? 'Dockerfile')), `${file}: ${name} builds from the repository's Dockerfile`);
      }
    }
  }
});

t.test('no host port is published twice in one file', async (t) => {
  for (const file of files) {
    const published = Object.entries(composeOf(file).services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => ({ name, host: port.split(':').slice(-2, -1)[0] ?? port })));
    const hosts = published.map((port) => port.host);
    t.same([...new Set(hosts)].sort(), [...hosts].sort(), `${file}: ${published.map((p) => `${p.name}:${p.host}`).join(', ')}`);
  }
});

t.test('every service has a healthcheck, and depends_on waits for health', async (t) => {
  for (const file of files) {
    for (const [name, service] of Object.entries(composeOf(file).services)) {
      t.ok(service.healthcheck?.test !== undefined && service.healthcheck.disable !== true, `${file}: ${name} has a healthcheck`);
      if (!Array.isArray(service.depends_on)) {
        for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) t.equal(condition.condition, 'service_healthy', `${file}: ${name} waits for ${dependency} to be healthy`);
      }
    }
  }
});

t.test('the gateway is checked on its status listener, runs read-only, and stops after its drain', async (t) => {
  for (const file of files) {
    const gateway = composeOf(file).services['permgate']!;
    t.ok(gateway, `${file}: a permgate service`);
    const configMount = (gateway.volumes ?? []).find((volume) => volume.split(':')[1] === '/etc/permgate/gateway.config.yaml');
    t.ok(configMount, `${file}: its config is mounted where the image reads it`);
    const configFile = configMount!.split(':')[0]!;
    const config = gatewayConfigValues({ where: configFile, text: yamlText(configFile) });
    const server = config['server'] as { status?: { port?: number }; drainDelay?: string; drainTimeout?: string; admin?: { host?: string } };
    t.match(gateway.healthcheck?.test?.join(' '), new RegExp(`127\\.0\\.0\\.1:${server.status?.port ?? 'none'}/readyz`), `${file}: the healthcheck asks /readyz on server.status.port`);
    t.ok(gateway.ports?.includes(`${server.status?.port}:${server.status?.port}`), `${file}: the status port is published`);
    t.equal(server.admin?.host, '127.0.0.1', `${file}: the admin API stays inside the container`);
    const drain = (durationMs(server.drainDelay ?? '5s') + durationMs(server.drainTimeout ?? '30s')) / 1000;
    t.ok(durationMs(gateway.stop_grace_period ?? '10s') / 1000 > drain, `${file}: stop_grace_period ${gateway.stop_grace_period} > ${drain}s of drain`);
    t.equal(gateway.read_only, true, `${file}: read-only root`);
    t.same(gateway.cap_drop, ['ALL'], `${file}: no capabilities`);
  }
});

t.test('the Sentinel file runs a master, a replica and three sentinels, and the gateway asks those sentinels', async (t) => {
  const compose = composeOf('docker-compose.sentinel.yml');
  const sentinels = Object.keys(compose.services).filter((name) => /^sentinel-\d$/.test(name)).sort();
  t.same(sentinels, ['sentinel-1', 'sentinel-2', 'sentinel-3']);
  t.match(compose.services['redis-replica']?.command?.join(' '), /--replicaof redis-master 6379/);
  const config = gatewayConfigValues({ where: 'gateway.sentinel.config.yaml', text: yamlText('./gateway.sentinel.config.yaml') });
  const redis = (config['store'] as { redis: { sentinels: string[]; name: string } }).redis;
  t.same(redis.sentinels.map((address) => address.split(':')[0]).sort(), sentinels, 'every sentinel, by service name');
  t.match(yamlText('./sentinel.conf'), new RegExp(`^sentinel monitor ${redis.name} redis-master 6379 2$`, 'm'), 'the master name the sentinels monitor, quorum 2');
});

function yamlText(relativePath: string): string {
  return readFileSync(resolve(COMPOSE_DIR, relativePath), 'utf8');
}
