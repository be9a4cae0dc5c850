// The RBAC model end to end on the embedded store: inheritance, wildcards, deny precedence, tenant isolation,
// expiry without clean-up, token roles and scopes, all/any, and an explanation that agrees with every decision.
import t, { type Test } from 'tap';
import { defaultRbac } from '../../src/config/validate-rbac.js';
import type { RbacConfig } from '../../src/config/rbac-types.js';
import type { Identity } from '../../src/auth/identity.js';
import type { RoleDefinition, SubjectRecord } from '../../src/rbac/model.js';
import { RbacAuthorizer } from '../../src/rbac/rbac-authorizer.js';
import type { PermissionCode } from '../../src/routing/permission-template.js';
import { MemoryRbacStore } from '../../src/stores/memory/memory-rbac-store.js';

const role = (name: string, grants: string[] = [], denies: string[] = [], inherits: string[] = []): [string, RoleDefinition] => [name, { name, grants, denies, inherits }];

const ROLES = new Map([
  role('viewer', ['order:read', 'channel:read:*']),
  role('editor', ['order:write'], [], ['viewer']),
  role('auditor', ['admin:*'], ['admin:users:*']),
  role('admin', ['*']),
  role('restricted', [], ['order:write'], ['editor']),
]);

function config(subjects: Record<string, Partial<SubjectRecord>> = {}, extra: Partial<RbacConfig> = {}): RbacConfig {
  const records = new Map(Object.entries(subjects).map(([name, r]) => [name, { roles: [], grants: [], denies: [], ...r }]));
  return { ...defaultRbac(), ...extra, policy: { roles: ROLES, subjects: records } };
}

async function engine(t: Test, cfg: RbacConfig, now: () => number = Date.now): Promise<{ rbac: RbacAuthorizer; store: MemoryRbacStore }> {
  const store = new MemoryRbacStore();
  const rbac = new RbacAuthorizer(cfg, store, { now });
  await rbac.start();
  t.teardown(() => rbac.close());
  return { rbac, store };
}

const id = (subject: string, extra: Partial<Identity> = {}): Identity => ({ subject, roles: [], tenant: undefined, scopes: [], ...extra });

async function allowed(rbac: RbacAuthorizer, identity: Identity, codes: string[], options: { tenant?: string; mode?: 'all' | 'any' } = {}): Promise<boolean> {
  const request = { identity, tenant: options.tenant ?? identity.tenant, codes: codes as PermissionCode[], mode: options.mode ?? 'all', sensitive: false } as const;
  const decision = await rbac.authorize(request);
  // Every decision is checked against its explanation: the two must never disagree.
  const explained = await rbac.explain(request);
  if (explained.allowed !== decision.allowed) throw new Error(`explain disagrees for ${identity.subject} ${codes.join(',')}`);
  return decision.allowed;
}

t.test('inheritance and wildcards: an editor holds what a viewer holds', async (t) => {
  const { rbac } = await engine(t, config({ alice: { roles: [{ role: 'editor' }] }, bob: { roles: [{ role: 'viewer' }], grants: [{ code: 'channel:delete:42' }] } }));
  t.ok(await allowed(rbac, id('alice'), ['order:read']), 'inherited from viewer');
  t.ok(await allowed(rbac, id('alice'), ['order:write']));
  t.notOk(await allowed(rbac, id('alice'), ['order:delete']));
  t.ok(await allowed(rbac, id('alice'), ['channel:read:7']), 'channel:read:* covers any channel');
  t.ok(await allowed(rbac, id('bob'), ['channel:delete:42']), 'a scoped direct grant');
  t.notOk(await allowed(rbac, id('bob'), ['channel:delete:43']), 'and only that object');
  t.notOk(await allowed(rbac, id('nobody'), ['order:read']), 'an unknown subject holds nothing');
});

t.test('a deny always beats a grant, wherever each comes from', async (t) => {
  const { rbac } = await engine(t, config({
    aud: { roles: [{ role: 'auditor' }] },
    boss: { roles: [{ role: 'admin' }], denies: [{ code: 'payroll:*' }] },
    res: { roles: [{ role: 'restricted' }] },
    both: { roles: [{ role: 'auditor' }, { role: 'admin' }] },
  }));
  t.ok(await allowed(rbac, id('aud'), ['admin:access']));
  t.notOk(await allowed(rbac, id('aud'), ['admin:users:delete']), 'the role denies what its own wildcard grants');
  t.notOk(await allowed(rbac, id('both'), ['admin:users:list']), 'another role granting * does not lift the deny');
  t.ok(await allowed(rbac, id('boss'), ['orders:anything']));
  t.notOk(await allowed(rbac, id('boss'), ['payroll:read']), 'a direct deny beats the * of a role');
  t.notOk(await allowed(rbac, id('res'), ['order:write']), 'a deny in a role beats a grant it inherits');
  t.ok(await allowed(rbac, id('res'), ['order:read']));
  const decision = await rbac.authorize({ identity: id('aud'), tenant: undefined, codes: ['admin:users:x' as PermissionCode], mode: 'all', sensitive: false });
  t.same(decision, { allowed: false, code: 'admin:users:x', reason: 'denied' });
});

t.test('tenant isolation: a binding in tenant A never grants anything in tenant B', async (t) => {
  const { rbac } = await engine(t, config({
    carol: { roles: [{ role: 'editor', tenant: 'acme' }], grants: [{ code: 'report:read', tenant: 'globex' }] },
  }));
  t.ok(await allowed(rbac, id('carol'), ['order:write'], { tenant: 'acme' }));
  t.notOk(await allowed(rbac, id('carol'), ['order:write'], { tenant: 'globex' }));
  t.notOk(await allowed(rbac, id('carol'), ['order:write']), 'nor without a tenant');
  t.ok(await allowed(rbac, id('carol'), ['report:read'], { tenant: 'globex' }));
  t.notOk(await allowed(rbac, id('carol'), ['report:read'], { tenant: 'acme' }));
  // Roles named in a token hold in the token's own tenant only.
  const token = id('dave', { roles: ['admin'], tenant: 'acme' });
  t.ok(await allowed(rbac, token, ['order:delete'], { tenant: 'acme' }));
  t.notOk(await allowed(rbac, token, ['order:delete'], { tenant: 'globex' }), 'a token of tenant acme is no admin in globex');
  t.ok(await allowed(rbac, id('erin', { roles: ['viewer'] }), ['order:read'], { tenant: 'any' }), 'a token without a tenant names roles that hold everywhere');
  t.notOk(await allowed(rbac, id('erin', { roles: ['no-such-role'] }), ['order:read']), 'unknown roles in a token grant nothing');
});

t.test('temporary grants stop counting at their expiry, with no clean-up job', async (t) => {
  let clock = Date.parse('2026-11-29T12:00:00Z');
  const expiry = clock + 60_000;
  const { rbac, store } = await engine(t, config({ frank: { roles: [{ role: 'viewer', expiresAt: expiry }] } }), () => clock);
  await store.writeSubject('gina', '', { roles: [], grants: [{ code: 'order:delete', expiresAt: expiry }], denies: [] });
  t.ok(await allowed(rbac, id('frank'), ['order:read']));
  t.ok(await allowed(rbac, id('gina'), ['order:delete']));
  clock = expiry - 1;
  t.ok(await allowed(rbac, id('frank'), ['order:read']), 'still valid a millisecond before');
  clock = expiry;
  t.notOk(await allowed(rbac, id('frank'), ['order:read']), 'gone at the moment itself, although compiled and cached before');
  t.notOk(await allowed(rbac, id('gina'), ['order:delete']));
});

t.test('all and any', async (t) => {
  const { rbac } = await engine(t, config({ alice: { roles: [{ role: 'viewer' }] } }));
  t.notOk(await allowed(rbac, id('alice'), ['order:read', 'order:write']));
  t.ok(await allowed(rbac, id('alice'), ['order:read', 'order:write'], { mode: 'any' }));
  t.notOk(await allowed(rbac, id('alice'), ['order:write', 'order:delete'], { mode: 'any' }));
});

t.test('token scopes count as exact codes only (with tokenScopes: true), and denies still apply', async (t) => {
  const { rbac } = await engine(t, config({ hal: { denies: [{ code: 'order:delete' }] } }, { tokenScopes: true }));
  t.ok(await allowed(rbac, id('ivy', { scopes: ['order:read'] }), ['order:read']));
  t.notOk(await allowed(rbac, id('ivy', { scopes: ['order:*', '*'] }), ['order:read']), 'a scope can never be a wildcard');
  t.notOk(await allowed(rbac, id('hal', { scopes: ['order:delete'] }), ['order:delete']));
  const { rbac: strict } = await engine(t, config({}));
  t.notOk(await allowed(strict, id('ivy', { scopes: ['order:read'] }), ['order:read']), 'by default (tokenScopes: false) they count for nothing');
});

t.test('subject names from tokens are only names', async (t) => {
  const { rbac } = await engine(t, config({ alice: { roles: [{ role: 'admin' }] } }));
  for (const subject of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    t.notOk(await allowed(rbac, id(subject), ['order:read']), subject);
  }
});

t.test('a role change evicts its holders and its heirs\' holders, and nobody else', async (t) => {
  let misses = 0;
  const store = new MemoryRbacStore();
  const rbac = new RbacAuthorizer(config(), store, { onCache: (r) => r === 'miss' && misses++ });
  await rbac.start();
  t.teardown(() => rbac.close());
  await store.writeRole('ops', '0', { name: 'ops', grants: ['deploy:run'], denies: [], inherits: [] });
  await store.writeRole('lead', '1', { name: 'lead', grants: [], denies: [], inherits: ['ops'] });
  await rbac.applyAndWait({ kind: 'role', name: 'lead', version: 0 });
  await store.writeSubject('op', '', { roles: [{ role: 'ops' }], grants: [], denies: [] });
  await store.writeSubject('lead', '', { roles: [{ role: 'lead' }], grants: [], denies: [] });
  await store.writeSubject('other', '', { roles: [{ role: 'viewer' }], grants: [], denies: [] });
  for (const s of ['op', 'lead', 'other']) await allowed(rbac, id(s), ['deploy:run']);
  t.ok(await allowed(rbac, id('lead'), ['deploy:run']), 'lead inherits ops');
  const { stamp } = await store.loadRoles();
  await store.writeRole('ops', stamp, { name: 'ops', grants: ['deploy:*'], denies: ['deploy:prod'], inherits: [] });
  await rbac.applyAndWait({ kind: 'role', name: 'ops', version: 0 });
  t.notOk(await allowed(rbac, id('op'), ['deploy:prod']), 'the holder sees the new deny');
  t.notOk(await allowed(rbac, id('lead'), ['deploy:prod']), 'so does the holder of an heir');
  t.ok(await allowed(rbac, id('lead'), ['deploy:staging']));
  misses = 0;
  await rbac.authorize({ identity: id('other'), tenant: undefined, codes: ['order:read' as PermissionCode], mode: 'all', sensitive: false });
  t.equal(misses, 0, 'an unrelated subject stayed cached');
});
