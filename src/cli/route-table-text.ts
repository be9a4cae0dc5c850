// `permgate check` output: the compiled route table as an aligned text table, in precedence-independent file order.
import type { RouteTable } from '../routing/route-table.js';

/**
 * The warning `permgate check` prints above the table when routes are in shadow: those stages let every request
 * through, so the operator sees it before starting, not only in the table's last column.
 */
export function shadowSummaryText(routes: RouteTable): string {
  const shadowed = routes.routes.filter((route) => route.config.shadow.size > 0);
  if (shadowed.length === 0) return '';
  const lines = shadowed.map((route) => `  ${route.pattern}: ${[...route.config.shadow].join(', ')}`);
  return `${shadowed.length} of ${routes.routes.length} routes in SHADOW mode (these stages record what they would refuse and let the request through):\n${lines.join('\n')}\n\n`;
}

export function routeTableText(routes: RouteTable): string {
  const rows: string[][] = [['PATTERN', 'METHODS', 'PERMISSION', 'UPSTREAM', 'RATE LIMITS', 'FLAGS']];
  for (const route of routes.routes) {
    const methods = route.methods.size === 7 ? '*' : [...route.methods].join(',');
    const codes = new Map<string, string[]>();
    for (const [method, template] of route.permissions) {
      const list = codes.get(template.source) ?? [];
      list.push(method);
      codes.set(template.source, list);
    }
    const permission =
      route.config.auth === 'none'
        ? '(public)'
        : codes.size === 1
          ? [...codes.keys()][0]!
          : [...codes].map(([code, ms]) => `${ms.join(',')}=${code}`).join(' ');
    const flags = [
      route.config.auth === 'none' ? 'public' : 'auth',
      route.config.sensitive ? 'sensitive' : '',
      route.config.bodyLimit !== undefined ? `body<=${route.config.bodyLimit}` : '',
      route.config.tenantParam !== undefined ? `tenant=:${route.config.tenantParam}` : '',
      route.config.shadow.size > 0 ? `SHADOW=${[...route.config.shadow].join('+')}` : '',
      route.config.websocket === undefined ? '' : route.handshake === undefined || route.handshake === route.permissions.get('GET') ? 'websocket' : `websocket=${route.handshake.source}`,
    ].filter(Boolean).join(',');
    const own = route.config.rateLimit;
    const limits =
      own === undefined
        ? 'defaults'
        : own.kind === 'off'
          ? 'off'
          : [...own.budgets].map(([dim, rate]) => (rate === 'off' ? `${dim}=off` : `${dim}=${rate.limit}/${rate.windowMs / 1000}s`)).join(',') + ' +defaults';
    rows.push([route.pattern, methods, permission, `${route.upstream.name} (${route.upstream.url.origin})`, limits, flags]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd()).join('\n');
}
