// The role graph on the access page: each role a box, an arrow from a role to each role it inherits; roles that
// inherit more stand higher. Layered by longest inheritance chain, which needs no layout library at this size.
import { s } from './dom.js';

export interface RoleNode {
  readonly name: string;
  readonly inherits: readonly string[];
  readonly source: string;
}

const BOX_W = 150;
const BOX_H = 30;
const GAP_X = 20;
const GAP_Y = 50;

export function roleGraph(roles: readonly RoleNode[]): SVGElement {
  const byName = new Map(roles.map((role) => [role.name, role]));
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string> = new Set()): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle cannot be stored, but a drawing must not loop on one
    seen.add(name);
    const below = (byName.get(name)?.inherits ?? []).filter((n) => byName.has(n)).map((n) => depthOf(n, seen) + 1);
    const d = Math.max(0, ...below);
    depth.set(name, d);
    return d;
  };
  for (const role of roles) depthOf(role.name);
  const top = Math.max(0, ...depth.values());
  const layers: string[][] = Array.from({ length: top + 1 }, () => []);
  for (const role of [...roles].sort((a, b) => a.name.localeCompare(b.name))) layers[top - depth.get(role.name)!]!.push(role.name);
  const widest = Math.max(1, ...layers.map((layer) => layer.length));
  const width = widest * (BOX_W + GAP_X) + GAP_X;
  const height = layers.length * (BOX_H + GAP_Y) + GAP_Y / 2;
  const place = new Map<string, { x: number; y: number }>();
  layers.forEach((layer, row) => {
    const offset = ((widest - layer.length) * (BOX_W + GAP_X)) / 2;
    layer.forEach((name, col) => place.set(name, { x: GAP_X + offset + col * (BOX_W + GAP_X), y: GAP_Y / 2 + row * (BOX_H + GAP_Y) }));
  });
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Roles and the roles they inherit', class: 'graph', width: Math.min(width, 900) },
    s('title', {}, 'Role inheritance: an arrow points from a role to a role it inherits'),
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  for (const role of roles) {
    const from = place.get(role.name)!;
    for (const heir of role.inherits) {
      const to = place.get(heir);
      if (to === undefined) continue;
      svg.append(s('line', { x1: from.x + BOX_W / 2, y1: from.y + BOX_H, x2: to.x + BOX_W / 2, y2: to.y, class: 'edge', 'marker-end': 'url(#arrow)' }));
    }
  }
  for (const role of roles) {
    const at = place.get(role.name)!;
    const label = role.name.length > 20 ? `${role.name.slice(0, 19)}…` : role.name;
    svg.append(s('g', { class: `node ${role.source}` },
      s('title', {}, `${role.name} (${role.source})${role.inherits.length > 0 ? ` inherits ${role.inherits.join(', ')}` : ''}`),
      s('rect', { x: at.x, y: at.y, width: BOX_W, height: BOX_H, rx: 4 }),
      s('text', { x: at.x + BOX_W / 2, y: at.y + BOX_H / 2 + 5, 'text-anchor': 'middle' }, label)));
  }
  return svg;
}
