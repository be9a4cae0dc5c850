// Writes imported routes as the `routes:` section of gateway.config.yaml, each route under a comment naming the
// operations it stands for, so the map can be reviewed against the document line by line.
import type { ImportedRoute } from './import-routes.js';

/** Plain when YAML reads it back as the same string (codes and paths as the shipped config writes them), else quoted. */
function scalar(text: string): string {
  return /^[A-Za-z0-9._~@/-][A-Za-z0-9._~@:/*-]*$/.test(text) && !text.endsWith(':') ? text : JSON.stringify(text);
}

function requirement(codes: readonly string[]): string {
  return codes.length === 1 ? scalar(codes[0]!) : `{ all: [${codes.map(scalar).join(', ')}] }`;
}

/** @param header comment lines (without `#`) put above the section */
export function routeMapYaml(routes: readonly ImportedRoute[], header: readonly string[]): string {
  const lines = header.map((line) => `# ${line}`);
  lines.push('routes:');
  for (const route of routes) {
    for (const source of route.sources) lines.push(`  # ${source.replace(/[\r\n]+/g, ' ')}`);
    lines.push(`  - path: ${scalar(route.path)}`, `    upstream: ${scalar(route.upstream)}`);
    if (route.public) {
      lines.push('    auth: none', `    methods: [${route.methods.join(', ')}]`);
    } else {
      const entries = [...route.permission].map(([method, codes]) => `${method}: ${requirement(codes)}`);
      lines.push(`    permission: { ${entries.join(', ')} }`);
    }
    if (route.params.size > 0) {
      lines.push(`    params: { ${[...route.params].map(([name, grammar]) => `${name}: ${JSON.stringify(grammar)}`).join(', ')} }`);
    }
  }
  return lines.join('\n') + '\n';
}
