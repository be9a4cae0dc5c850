#!/usr/bin/env node
// The permgate command: start a gateway, or check a configuration and print its route table.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { subjectProblem } from './auth/subject-name.js';
import { explainContext, explainOffline } from './cli/explain-offline.js';
import { importOpenApi } from './cli/import-openapi.js';
import { CoverageCommandError, coverageText, readCoverage } from './cli/coverage-command.js';
import { lintReport, lintReportText } from './cli/lint-command.js';
import { DiffUsageError, runDiff } from './cli/diff-command.js';
import { AdminReadError } from './diff/live-policy.js';
import { diffText } from './diff/diff-text.js';
import { mintToken } from './cli/mint-token.js';
import { SqlTriggersUsageError, sqlTriggersText } from './cli/sql-triggers-command.js';
import { readUnused, UnusedCommandError, unusedText } from './cli/unused-command.js';
import { explanationText } from './rbac/explain-request.js';
import { routeTableText, shadowSummaryText } from './cli/route-table-text.js';
import { ConfigError } from './config/config-error.js';
import { loadConfig } from './config/load.js';
import { startExampleBackends } from './dev/example-backend.js';
import { drainAndExit } from './drain-and-exit.js';
import { buildGateway } from './gateway.js';
import { fleetSize, isFleetWorker } from './fleet/fleet-role.js';
import { runPrimary } from './fleet/primary.js';
import { runWorker } from './fleet/worker.js';
import { isGatewayError } from './errors.js';
import { reusePortChoice } from './server/reuse-port.js';

const HELP = `permgate: an edge API gateway that decides, per request, whether the caller may do this thing on this object.

Usage:
  permgate start -c FILE [--example-backends]   validate FILE, then serve it
  permgate check -c FILE                        validate FILE and print its route table
  permgate token -c FILE --sub NAME [--scopes a:b,c:d] [--roles a,b] [--tenant T] [--ttl 1h]
                                                mint a token with the configured HS secret (for trying it out)
  permgate explain -c FILE --sub NAME [--roles a,b] [--tenant T] [--ip ADDR] [--at ISO-TIME] [--claims JSON] [--json] METHOD PATH
                                                explain the decision for a caller from FILE's static policy
  permgate lint -c FILE [--json] [--no-store]   find routes never reached, duplicate patterns, codes never granted,
                                                grants no route requires, roles nobody holds or that allow nothing
  permgate diff -c NEW [--against FILE | --admin URL] [--json]
                                                what reloading NEW would change: routes, rate limits, roles, subjects,
                                                and who gains or loses which code (--admin: token in PERMGATE_ADMIN_TOKEN)
  permgate import openapi SPEC --upstream NAME [--prefix /api] [--modules] [-o FILE]
                                                a route map (YAML) from an OpenAPI 3 or Swagger 2 document
  permgate coverage --admin URL [--since T] [--openapi SPEC [--prefix P]] [--json]
                                                routes never hit, 404s by path template, operations without a route
                                                and routes without an operation (token in PERMGATE_ADMIN_TOKEN)
  permgate unused --admin URL [--days 30] [--json]
                                                grants each role and subject has not used in that many days
                                                (least privilege; token in PERMGATE_ADMIN_TOKEN)
  permgate sql triggers --preset NAME [--dialect postgres|mysql] [--channel permgate_rbac]
                                                the SQL that makes a legacy database announce its RBAC changes
                                                (rbac.source.sql: a version row and triggers; NOTIFY on PostgreSQL)
  permgate --help | --version

Options:
  -c, --config FILE      the configuration (default: gateway.config.yaml)
  --example-backends     also start an echo server for every upstream on 127.0.0.1 (quick start only)

Exit status: 0 ok (explain: allowed or public; lint: warnings at most; diff: no changes), 1 runtime failure (lint: an
error found; diff: changes), 2 invalid configuration or usage (diff: also an admin API it cannot read), 3 (explain)
denied or refused.
Signals (start): SIGTERM/SIGINT turn /readyz 503, keep serving for server.drainDelay, then drain in-flight
requests (up to server.drainTimeout) and exit 0;
SIGHUP reloads the config file (an invalid one is rejected and the config in force stays).`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', default: 'gateway.config.yaml' },
        'example-backends': { type: 'boolean', default: false },
        sub: { type: 'string' },
        roles: { type: 'string', default: '' },
        scopes: { type: 'string', default: '' },
        tenant: { type: 'string' },
        ttl: { type: 'string', default: '1h' },
        json: { type: 'boolean', default: false },
        'no-store': { type: 'boolean', default: false },
        against: { type: 'string' },
        admin: { type: 'string' },
        upstream: { type: 'string' },
        prefix: { type: 'string' },
        modules: { type: 'boolean', default: false },
        output: { type: 'string', short: 'o' },
        since: { type: 'string' },
        openapi: { type: 'string' },
        days: { type: 'string' },
        preset: { type: 'string' },
        dialect: { type: 'string' },
        channel: { type: 'string' },
        ip: { type: 'string' },
        at: { type: 'string' },
        claims: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`permgate: ${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP + '\n');
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'import') {
    const [, kind, spec] = positionals;
    if (kind !== 'openapi' || spec === undefined || values.upstream === undefined || values.upstream === '') {
      process.stderr.write('permgate import: usage: permgate import openapi SPEC --upstream NAME [--prefix /api] [--modules] [-o FILE]\n');
      return 2;
    }
    const result = await importOpenApi(spec, { upstream: values.upstream, prefix: values.prefix, modules: values.modules, output: values.output });
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    return result.code;
  }
  if (command === 'coverage') {
    const token = process.env.PERMGATE_ADMIN_TOKEN ?? '';
    if (values.admin === undefined || token === '') {
      process.stderr.write('permgate coverage: --admin URL is required, and the admin token is read from PERMGATE_ADMIN_TOKEN\n');
      return 2;
    }
    try {
      const result = await readCoverage({ admin: values.admin, token, since: values.since, openapi: values.openapi, prefix: values.prefix });
      process.stdout.write((values.json ? JSON.stringify(result, null, 2) : coverageText(result)) + '\n');
      return 0;
    } catch (err) {
      if (!(err instanceof CoverageCommandError)) throw err;
      process.stderr.write(`permgate coverage: ${err.message}\n`);
      return 1;
    }
  }
  if (command === 'sql') {
    if (positionals[1] !== 'triggers') {
      process.stderr.write('permgate sql: the one subcommand is "triggers"\n');
      return 2;
    }
    try {
      process.stdout.write(sqlTriggersText({ preset: values.preset, dialect: values.dialect, channel: values.channel }));
      return 0;
    } catch (err) {
      if (!(err instanceof SqlTriggersUsageError)) throw err;
      process.stderr.write(`permgate sql triggers: ${err.message}\n`);
      return 2;
    }
  }
  if (command === 'unused') {
    const token = process.env.PERMGATE_ADMIN_TOKEN ?? '';
    if (values.admin === undefined || token === '') {
      process.stderr.write('permgate unused: --admin URL is required, and the admin token is read from PERMGATE_ADMIN_TOKEN\n');
      return 2;
    }
    try {
      const report = await readUnused({ admin: values.admin, token, days: values.days });
      process.stdout.write((values.json ? JSON.stringify(report, null, 2) : unusedText(report)) + '\n');
      return 0;
    } catch (err) {
      if (!(err instanceof UnusedCommandError)) throw err;
      process.stderr.write(`permgate unused: ${err.message}\n`);
      return 1;
    }
  }
  if (command !== 'start' && command !== 'check' && command !== 'token' && command !== 'explain' && command !== 'lint' && command !== 'diff') {
    process.stderr.write(`permgate: unknown command "${command}"\n\n${HELP}\n`);
    return 2;
  }

  // A fleet worker serves the config its primary validated and hands it, never the file as it is now.
  if (command === 'start' && isFleetWorker()) return runWorker();

  let loaded;
  try {
    loaded = await loadConfig(values.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`permgate: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  // The subject grammar of the data plane (auth/subject-name.ts): a name the gateway would refuse is refused here.
  const badSubject = (name: string): string | undefined => {
    const problem = values.sub === undefined || values.sub === '' ? undefined : subjectProblem(values.sub);
    return problem === undefined ? undefined : `permgate ${name}: --sub is not a valid subject: ${problem}\n`;
  };
  // Token roles count only where the config maps a claim to them; a role given here would silently count for nothing.
  const unmappedRoles = (name: string): string | undefined =>
    values.roles !== '' && loaded.config.auth?.jwt.claims.roles === undefined
      ? `permgate ${name}: --roles needs auth.jwt.claims.roles in the config (token roles grant nothing without it)\n`
      : undefined;

  if (command === 'token') {
    if (values.sub === undefined || values.sub === '') {
      process.stderr.write('permgate token: --sub NAME is required\n');
      return 2;
    }
    const refused = badSubject('token') ?? unmappedRoles('token');
    if (refused !== undefined) {
      process.stderr.write(refused);
      return 2;
    }
    try {
      const list = (text: string): string[] => text.split(',').map((r) => r.trim()).filter(Boolean);
      const options = { subject: values.sub, roles: list(values.roles), scopes: list(values.scopes), tenant: values.tenant, ttl: values.ttl };
      process.stdout.write((await mintToken(loaded.config.auth, options)) + '\n');
      return 0;
    } catch (err) {
      process.stderr.write(`permgate token: ${(err as Error).message}\n`);
      return 2;
    }
  }

  if (command === 'explain') {
    const [, method, path] = positionals;
    if (values.sub === undefined || values.sub === '' || method === undefined || path === undefined) {
      process.stderr.write('permgate explain: --sub NAME, METHOD and PATH are required (e.g. permgate explain --sub alice GET /api/orders/1)\n');
      return 2;
    }
    const refused = badSubject('explain') ?? unmappedRoles('explain');
    if (refused !== undefined) {
      process.stderr.write(refused);
      return 2;
    }
    const list = (text: string): string[] => text.split(',').map((r) => r.trim()).filter(Boolean);
    const identity = { subject: values.sub, roles: list(values.roles), tenant: values.tenant, scopes: list(values.scopes) };
    const context = explainContext(values.ip, values.at, values.claims);
    if (typeof context === 'string') {
      process.stderr.write(`permgate explain: ${context}\n`);
      return 2;
    }
    const explanation = await explainOffline(loaded, identity, method.toUpperCase(), path, context);
    process.stdout.write((values.json ? JSON.stringify(explanation, null, 2) : explanationText(explanation)) + '\n');
    return explanation.decision === 'allow' || explanation.decision === 'public' ? 0 : 3;
  }

  if (command === 'lint') {
    const report = await lintReport(loaded, { store: !values['no-store'] });
    process.stdout.write((values.json ? JSON.stringify(report, null, 2) : lintReportText(report)) + '\n');
    return report.errors > 0 ? 1 : 0;
  }

  if (command === 'diff') {
    // As diff(1) (and `deck diff --non-zero-exit-code`): 0 the same, 1 different, 2 trouble, so a script can tell
    // "nothing to reload" from "a change to review".
    try {
      const diff = await runDiff(loaded, { file: values.config, against: values.against, admin: values.admin, env: process.env });
      process.stdout.write((values.json ? JSON.stringify(diff, null, 2) : diffText(diff)) + '\n');
      return diff.changes === 0 ? 0 : 1;
    } catch (err) {
      if (err instanceof ConfigError || err instanceof DiffUsageError || err instanceof AdminReadError) {
        process.stderr.write(`permgate diff: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  }

  if (command === 'check') {
    process.stdout.write(`${values.config}: ok, ${loaded.routes.routes.length} routes\n\n${shadowSummaryText(loaded.routes)}${routeTableText(loaded.routes)}\n`);
    return 0;
  }

  const backends = values['example-backends'] ? await startExampleBackends(loaded.config.upstreams.values()) : [];
  // `server.workers` > 1: this process supervises the workers and serves the admin API once (src/fleet/).
  if (fleetSize(loaded) > 1) return runPrimary(loaded, { file: values.config, workers: fleetSize(loaded) });
  const gateway = await buildGateway(loaded);
  const log = gateway.app.log;
  for (const backend of backends) log.info({ upstream: backend.name, url: backend.url }, 'example backend started');
  const { url, urls, adminUrl, statusUrl } = await gateway.listen();
  const { server } = loaded.config;
  const sharing = reusePortChoice(server.reusePort, { fleet: false, listeners: server.listeners });
  if (server.reusePort !== false) log.info({ reusePort: sharing.reusePort }, sharing.reason);
  log.info({ url, ...(urls.length > 1 ? { urls } : {}), adminUrl, statusUrl, config: values.config, store: gateway.store.kind, routes: loaded.routes.routes.length }, 'permgate listening');

  // Not ready at once, still serving for drainDelay (load balancers stop sending meanwhile), then the drain.
  drainAndExit(gateway, { message: 'draining and stopping', field: 'signal', after: () => Promise.all(backends.map((backend) => backend.close())) });
  // SIGHUP re-reads the file; an invalid one is logged (file, line, key) and the config in force stays.
  process.on('SIGHUP', () => void gateway.reload().catch(() => {}));
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    // A coded start-up failure (the state file is locked, corrupt…) is a sentence for the operator, not a stack.
    const text = isGatewayError(err) ? `${err.code}: ${err.message}${err.detail === undefined ? '' : `: ${err.detail}`}` : ((err as Error).stack ?? String(err));
    process.stderr.write(`permgate: ${text}\n`);
    process.exit(1); // not just exitCode: example backends already listening would keep a failed start alive
  },
);
