// `server.paths` (Windows rules follow case folding unless set apart) and `server.logs` (refusal sampling and field
// length): defaults, and contradictions refused with file:line:key.
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';

const load = (server: string) =>
  parseConfig(`server:\n${server}\nupstreams: { svc: { url: "http://127.0.0.1:1" } }\nroutes:\n  - { path: /a/**, upstream: svc, auth: none }\n`, 'gateway.yaml', {}).config.server;

t.test('windows follows caseInsensitive by default, and windows: true folds case too', async (t) => {
  t.same(load('  logLevel: info').paths, { caseInsensitive: false, windows: false });
  t.same(load('  paths: { caseInsensitive: true }').paths, { caseInsensitive: true, windows: true });
  t.same(load('  paths: { windows: true }').paths, { caseInsensitive: true, windows: true });
  t.same(load('  paths: { caseInsensitive: true, windows: false }').paths, { caseInsensitive: true, windows: false });
  t.throws(() => load('  paths: { caseInsensitive: false, windows: true }'), { message: /gateway\.yaml:2:\d+: server\.paths\.caseInsensitive: IIS folds case/ });
});

t.test('refusal logs default to 10 lines a second and fields of 256 characters, and are bounded', async (t) => {
  t.same(load('  logLevel: info').logs, { refusalsPerSecond: 10, fieldLength: 256 });
  t.same(load('  logs: { refusalsPerSecond: 0, fieldLength: 64 }').logs, { refusalsPerSecond: 0, fieldLength: 64 });
  t.throws(() => load('  logs: { fieldLength: 1 }'), { message: /server\.logs\.fieldLength/ });
  t.throws(() => load('  logs: { refusalsPerSec: 5 }'), { message: /server\.logs\.refusalsPerSec: unknown key/ });
});
