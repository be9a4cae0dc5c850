// Names a grant as the usage record keeps it: `role:<role> <pattern>` for a grant a role defines, `direct <pattern>`
// for a subject's own grant in every tenant, `direct:<tenant> <pattern>` for one in one tenant. Role names, tenants and
// patterns hold no spaces, so the first space always splits holder from pattern.
import type { GrantHolder } from '../rbac/sources.js';

export type GrantRef =
  | { readonly kind: 'role'; readonly role: string; readonly pattern: string }
  | { readonly kind: 'direct'; readonly tenant: string | undefined; readonly pattern: string };

/** @example grantKey({ kind: 'role', role: 'clerk' }, 'order:read') → 'role:clerk order:read' */
export function grantKey(holder: Exclude<GrantHolder, { kind: 'scope' }>, pattern: string): string {
  if (holder.kind === 'role') return `role:${holder.role} ${pattern}`;
  return holder.tenant === undefined ? `direct ${pattern}` : `direct:${holder.tenant} ${pattern}`;
}

/** The grant a key names; undefined for a key this version does not write. */
export function parseGrantKey(key: string): GrantRef | undefined {
  const space = key.indexOf(' ');
  if (space <= 0 || space === key.length - 1) return undefined;
  const head = key.slice(0, space);
  const pattern = key.slice(space + 1);
  if (head.startsWith('role:') && head.length > 5) return { kind: 'role', role: head.slice(5), pattern };
  if (head === 'direct') return { kind: 'direct', tenant: undefined, pattern };
  if (head.startsWith('direct:') && head.length > 7) return { kind: 'direct', tenant: head.slice(7), pattern };
  return undefined;
}
