// `server.reusePort` (issue 12) as the config sees it: which Node versions have `listen({ reusePort })`, `true` refused
// where it cannot do what it says (an older Node, port 0 in a fleet) naming the key, its line and the Node version,
// what `auto` chooses, and that a reload cannot change it. The Node version is passed in, so every Node runs every
// case; the one this suite runs on is checked through parseConfig as well.
import t from 'tap';
import { Checker } from '../../src/config/checker.js';
import { formatIssue } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';
import { restartOnlyChanges } from '../../src/config/reload-check.js';
import { REUSE_PORT_DEFAULT } from '../../src/config/schema/server-schema.js';
import { checkReusePort } from '../../src/config/validate-reuse-port.js';
import { reusePortChoice, reusePortSupported } from '../../src/server/reuse-port.js';
import { configProblems as problems } from '../helpers/config-problems.js';

const config = (reusePort: string, { workers = '2', port = '8080' } = {}): string => `server:
  listen: { host: 127.0.0.1, port: ${port} }
  workers: ${workers}
  reusePort: ${reusePort}
store:
  redis: redis://127.0.0.1:6379
upstreams:
  svc: { url: "http://127.0.0.1:9001" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`;

/** The problems `checkReusePort` finds in `text` (parsed with reusePort auto, valid everywhere) with `reusePort: true` on Node `version`. */
function problemsOnNode(text: string, version: string): string[] {
  const loaded = parseConfig(text.replace('reusePort: true', 'reusePort: auto'), 'gw.yaml');
  const c = new Checker(loaded.locate);
  checkReusePort(c, { ...loaded.config.server, reusePort: true }, version);
  return c.issues.map(formatIssue);
}

t.test('reusePort is known from Node 22.12 in the 22 line, 23.1 in the 23 line, and every 24 and later', async (t) => {
  const cases: [string, boolean][] = [['20.19.0', false], ['21.7.3', false], ['22.11.0', false], ['22.12.0', true], ['22.20.0', true], ['23.0.0', false], ['23.1.0', true], ['24.0.0', true], ['25.2.1', true]];
  for (const [version, known] of cases) t.equal(reusePortSupported(version), known, version);
});

t.test('true on a Node without reusePort is a config error at server.reusePort\'s line, naming the Node version', async (t) => {
  t.same(problemsOnNode(config('true'), '20.19.0'), ['gw.yaml:4:14: server.reusePort: needs Node 22.12+, 23.1+ or 24+; this is Node 20.19.0 (use auto to take it where Node has it, or false)']);
  t.same(problemsOnNode(config('true'), '22.12.0'), [], 'accepted on 22.12');
  t.same(problemsOnNode(config('true', { workers: '1' }), '24.0.0'), [], 'and with one process (a new one may bind the port before the old one drains)');
});

t.test(`on this Node (${process.versions.node}) parseConfig ${reusePortSupported() ? 'accepts' : 'refuses'} true; auto and false load everywhere`, async (t) => {
  const found = problems(config('true'));
  if (reusePortSupported()) t.same(found, []);
  else t.match(found, [new RegExp(`^gw\\.yaml:4:14: server\\.reusePort: needs Node .*; this is Node ${process.versions.node.replaceAll('.', '\\.')}`)]);
  t.equal(parseConfig(config('auto'), 'gw.yaml').config.server.reusePort, 'auto');
  t.equal(parseConfig(config('false'), 'gw.yaml').config.server.reusePort, false);
  t.equal(parseConfig(config('auto').replace('  reusePort: auto\n', ''), 'gw.yaml').config.server.reusePort, REUSE_PORT_DEFAULT, `the default (${REUSE_PORT_DEFAULT})`);
  t.match(problems(config('sometimes')).join('\n'), /server\.reusePort/, 'anything else is refused by the schema');
});

t.test('true with a listener on port 0 is refused in a fleet (each worker would get a port of its own), not in one process', async (t) => {
  t.match(problemsOnNode(config('true', { port: '0' }), '24.0.0'), [/^gw\.yaml:4:14: server\.reusePort: with more than one worker every listener needs a fixed port, and the one on 127\.0\.0\.1 has port 0/]);
  t.equal(problemsOnNode(config('true', { port: '0', workers: 'auto' }), '24.0.0').length, 1, 'workers: auto counts as a fleet');
  t.same(problemsOnNode(config('true', { port: '0', workers: '1' }), '24.0.0'), []);
});

t.test('auto takes reusePort in a fleet where Node has it and every port is fixed; one process, an older Node or port 0 keep the shared socket', async (t) => {
  const listeners = parseConfig(config('auto'), 'gw.yaml').config.server.listeners;
  const zero = parseConfig(config('auto', { port: '0' }), 'gw.yaml').config.server.listeners;
  t.equal(reusePortChoice('auto', { fleet: true, listeners }, '24.0.0').reusePort, true);
  t.equal(reusePortChoice('auto', { fleet: true, listeners }, '22.11.0').reusePort, false);
  t.match(reusePortChoice('auto', { fleet: true, listeners }, '20.19.0').reason, /Node 20\.19\.0 has no reusePort/);
  t.equal(reusePortChoice('auto', { fleet: true, listeners: zero }, '24.0.0').reusePort, false, 'port 0');
  t.equal(reusePortChoice('auto', { fleet: false, listeners }, '24.0.0').reusePort, false, 'one process');
  t.equal(reusePortChoice(true, { fleet: false, listeners }, '24.0.0').reusePort, true, 'true in one process');
  t.equal(reusePortChoice(false, { fleet: true, listeners }, '24.0.0').reusePort, false, 'false');
});

t.test('a reload cannot change reusePort: it is refused naming server.reusePort', async (t) => {
  const now = parseConfig(config('false'), 'gw.yaml');
  const next = parseConfig(config('auto'), 'gw.yaml');
  const issues = restartOnlyChanges(now.config, next);
  t.equal(issues.length, 1);
  t.match(formatIssue(issues[0]!), /^gw\.yaml:4:14: server\.reusePort: changed from false to "auto", which only a restart can apply/);
  t.same(restartOnlyChanges(now.config, parseConfig(config('false'), 'gw.yaml')), [], 'the same value reloads');
});
