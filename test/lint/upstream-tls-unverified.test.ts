// An upstream whose certificate is not checked (`tls.verify: false`) is a warning, wherever it is linted.
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { lintConfig } from '../../src/lint/lint.js';

function findings(tls: string): ReturnType<typeof lintConfig> {
  const text = `store: { path: memory }\nupstreams:\n  svc: { url: "http://127.0.0.1:9001" }\n  billing:\n    url: "https://billing.internal"\n${tls}routes:\n  - { path: /b/**, upstream: billing, auth: none }\n  - { path: /s/**, upstream: svc, auth: none }\n`;
  return lintConfig(parseConfig(text, 'lint.yaml', {})).filter((finding) => finding.rule === 'upstream-tls-unverified');
}

t.test('verify: false is reported where it is written, naming the upstream', async (t) => {
  const found = findings('    tls: { verify: false }\n');
  t.equal(found.length, 1);
  t.match(found[0], { severity: 'warning', message: /upstream billing: its certificate and name are not checked/, place: { keyPath: 'upstreams.billing.tls.verify', line: 6 } });
});

t.test('verified upstreams (the default, or verify: true) are not reported', async (t) => {
  t.same(findings(''), []);
  t.same(findings('    tls: { verify: true, serverName: billing.internal }\n'), []);
});
