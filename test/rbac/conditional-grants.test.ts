// Conditions on grants and bindings (`when`) and `{subject}` grants, on the engine: each condition kind holds and
// fails where it should (time windows in a zone across daylight saving and midnight, weekdays, networks, claims,
// path parameters), a missing attribute makes a condition false, a conditionally bound role's denies hold always,
// `{subject}` grants reach only their holder, and every decision agrees with its explanation, which names each
// condition and whether it held.
import t, { type Test } from 'tap';
import { defaultRbac } from '../../src/config/validate-rbac.js';
import type { RbacConfig } from '../../src/config/rbac-types.js';
import type { Identity } from '../../src/auth/identity.js';
import { ConditionError, compileCondition, type ConditionSpec, type RequestFacts } from '../../src/rbac/condition.js';
import type { RoleDefinition, SubjectRecord } from '../../src/rbac/model.js';
import { RbacAuthorizer } from '../../src/rbac/rbac-authorizer.js';
import type { PermissionCode } from '../../src/routing/permission-template.js';
import { MemoryRbacStore } from '../../src/stores/memory/memory-rbac-store.js';

const facts = (extra: Partial<Omit<RequestFacts, 'param'>> & { params?: Record<string, string> } = {}): RequestFacts => ({
  subject: extra.subject ?? 'alice',
  address: extra.address,
  claims: extra.claims,
  param: (name) => extra.params?.[name],
});

const at = (iso: string): number => Date.parse(iso);

t.test('a daily window in an IANA zone follows daylight saving, and its end is exclusive', async (t) => {
  const office = compileCondition({ time: '08:00-20:00 Europe/Berlin' });
  // Winter: Berlin is UTC+1.
  t.notOk(office.test(facts(), at('2026-01-15T06:59:00Z')), '07:59 in Berlin');
  t.ok(office.test(facts(), at('2026-01-15T07:00:00Z')), '08:00 in Berlin');
  t.ok(office.test(facts(), at('2026-01-15T18:59:59Z')), '19:59:59 in Berlin');
  t.notOk(office.test(facts(), at('2026-01-15T19:00:00Z')), '20:00 in Berlin: the end is exclusive');
  // Summer: UTC+2, so 06:30Z is 08:30 there.
  t.ok(office.test(facts(), at('2026-07-15T06:30:00Z')), '08:30 in Berlin in July');
  t.notOk(office.test(facts(), at('2026-07-15T18:30:00Z')), '20:30 in Berlin in July');
  const utc = compileCondition({ time: '08:00-20:00' });
  t.ok(utc.test(facts(), at('2026-07-15T18:30:00Z')), 'no zone: UTC');
});

t.test('a window may cross midnight; days are the local weekday in the window zone', async (t) => {
  const night = compileCondition({ time: '22:00-06:00 America/New_York' });
  t.ok(night.test(facts(), at('2026-03-02T04:00:00Z')), '23:00 in New York');
  t.ok(night.test(facts(), at('2026-03-02T10:59:00Z')), '05:59 in New York');
  t.notOk(night.test(facts(), at('2026-03-02T11:00:00Z')), '06:00 in New York');
  t.notOk(night.test(facts(), at('2026-03-02T17:00:00Z')), 'noon in New York');
  const weekdays = compileCondition({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], time: '00:00-24:00 Asia/Tokyo' });
  // 2026-03-06 is a Friday; 16:00Z Friday is 01:00 Saturday in Tokyo.
  t.ok(weekdays.test(facts(), at('2026-03-06T10:00:00Z')), 'Friday 19:00 in Tokyo');
  t.notOk(weekdays.test(facts(), at('2026-03-06T16:00:00Z')), 'Saturday 01:00 in Tokyo, though Friday in UTC');
  const utcDays = compileCondition({ days: ['sat', 'sun'] });
  t.ok(utcDays.test(facts(), at('2026-03-07T12:00:00Z')), 'Saturday (UTC)');
  t.notOk(utcDays.test(facts(), at('2026-03-06T12:00:00Z')), 'Friday (UTC)');
});

t.test('networks: IPv4 and IPv6, addresses and prefixes; no address holds nothing', async (t) => {
  const inside = compileCondition({ ip: ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '172.16.0.0/12'] });
  t.ok(inside.test(facts({ address: '10.200.3.4' }), 0));
  t.ok(inside.test(facts({ address: '192.168.1.7' }), 0));
  t.notOk(inside.test(facts({ address: '192.168.1.8' }), 0));
  t.ok(inside.test(facts({ address: '172.31.255.255' }), 0));
  t.notOk(inside.test(facts({ address: '172.32.0.0' }), 0));
  t.notOk(inside.test(facts({ address: '11.0.0.1' }), 0));
  t.ok(inside.test(facts({ address: '2001:db8:ffff::1' }), 0));
  t.notOk(inside.test(facts({ address: '2001:db9::1' }), 0));
  t.notOk(inside.test(facts({ address: undefined }), 0), 'no address: false');
  t.notOk(inside.test(facts({ address: '' }), 0));
  t.notOk(inside.test(facts({ address: '10.0.0.256' }), 0), 'not an address');
  t.notOk(compileCondition({ ip: ['10.0.0.0/8'] }).test(facts({ address: '::1' }), 0), 'an IPv6 address against IPv4 networks');
  t.ok(compileCondition({ ip: ['0.0.0.0/0'] }).test(facts({ address: '8.8.8.8' }), 0), '/0 holds every IPv4 address');
});

t.test('claims: equality, contains, in, dotted paths; a missing or mistyped claim is false', async (t) => {
  const mfa = compileCondition({ claim: { amr: { contains: 'mfa' } } });
  t.ok(mfa.test(facts({ claims: { amr: ['pwd', 'mfa'] } }), 0));
  t.notOk(mfa.test(facts({ claims: { amr: ['pwd'] } }), 0));
  t.ok(mfa.test(facts({ claims: { amr: 'pwd mfa' } }), 0), 'a space-separated string claim');
  t.notOk(mfa.test(facts({ claims: {} }), 0), 'no such claim');
  t.notOk(mfa.test(facts({ claims: undefined }), 0), 'no claims at all (mTLS caller)');
  const tenant = compileCondition({ claim: { tid: 'acme', 'org.tier': { in: ['gold', 'platinum'] } } });
  t.ok(tenant.test(facts({ claims: { tid: 'acme', org: { tier: 'gold' } } }), 0));
  t.notOk(tenant.test(facts({ claims: { tid: 'acme', org: { tier: 'silver' } } }), 0), 'all keys must hold');
  t.notOk(tenant.test(facts({ claims: { tid: ['acme'], org: { tier: 'gold' } } }), 0), 'a list is not equal to a value');
  t.notOk(tenant.test(facts({ claims: { tid: 'acme', org: { constructor: 1 } } }), 0));
  const numeric = compileCondition({ claim: { level: '3' } });
  t.ok(numeric.test(facts({ claims: { level: 3 } }), 0), 'a number claim compares as text');
});

t.test('path parameters: equal to the subject, or to a claim', async (t) => {
  const own = compileCondition({ param: { userId: 'subject' } });
  t.ok(own.test(facts({ subject: 'alice', params: { userId: 'alice' } }), 0));
  t.notOk(own.test(facts({ subject: 'alice', params: { userId: 'bob' } }), 0));
  t.notOk(own.test(facts({ subject: 'alice', params: {} }), 0), 'a route without the parameter');
  const org = compileCondition({ param: { orgId: 'claim:org' } });
  t.ok(org.test(facts({ claims: { org: 'o-1' }, params: { orgId: 'o-1' } }), 0));
  t.notOk(org.test(facts({ claims: { org: 'o-2' }, params: { orgId: 'o-1' } }), 0));
  t.notOk(org.test(facts({ claims: {}, params: { orgId: 'o-1' } }), 0));
});

t.test('a condition that cannot mean anything is refused, naming the key', async (t) => {
  const refused = (spec: unknown): string => {
    try {
      compileCondition(spec as ConditionSpec);
    } catch (err) {
      if (err instanceof ConditionError) return err.key;
      throw err;
    }
    return 'accepted';
  };
  t.equal(refused({ time: '8-20' }), 'time');
  t.equal(refused({ time: '08:00-20:00 Mars/Olympus' }), 'time');
  t.equal(refused({ time: '08:00-08:00' }), 'time', 'an empty window');
  t.equal(refused({ days: ['monday'] }), 'days[0]');
  t.equal(refused({ days: [] }), 'days');
  t.equal(refused({ ip: ['10.0.0.0/33'] }), 'ip[0]');
  t.equal(refused({ ip: ['10.0.0.0', 'example.com'] }), 'ip[1]');
  t.equal(refused({ claim: { amr: { has: 'mfa' } } }), 'claim.amr');
  t.equal(refused({ param: { userId: 'alice' } }), 'param.userId');
  t.equal(refused({ weather: 'sunny' }), 'weather');
  t.equal(refused({}), 'when');
  t.equal(refused({ time: '22:00-06:00 Europe/Berlin', days: ['sat'], ip: ['::1'], claim: { tid: 'x' }, param: { id: 'subject' } }), 'accepted');
});

// ---- on the engine ----------------------------------------------------------------------------------------------

const ROLES = new Map<string, RoleDefinition>([
  ['viewer', { name: 'viewer', grants: ['order:read'], denies: [], inherits: [] }],
  ['on-call', {
    name: 'on-call',
    grants: ['status:read'],
    conditionalGrants: [{ code: 'admin:access', when: { time: '08:00-20:00 Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'] } }],
    denies: [],
    inherits: [],
  }],
  ['operator', { name: 'operator', grants: ['ops:*'], denies: ['ops:shutdown'], inherits: [] }],
  ['self-service', { name: 'self-service', grants: ['user:edit:{subject}', 'user:read:*'], denies: ['user:delete:{subject}'], inherits: [] }],
  ['deleter', { name: 'deleter', grants: ['user:delete:*'], denies: [], inherits: [] }],
  ['secure-writer', {
    name: 'secure-writer',
    grants: [],
    conditionalGrants: [{ code: 'order:write', when: { claim: { amr: { contains: 'mfa' } }, ip: ['10.0.0.0/8'] } }],
    denies: [],
    inherits: ['viewer'],
  }],
]);

function config(subjects: Record<string, Partial<SubjectRecord>>): RbacConfig {
  const records = new Map(Object.entries(subjects).map(([name, r]) => [name, { roles: [], grants: [], denies: [], ...r }]));
  return { ...defaultRbac(), policy: { roles: ROLES, subjects: records } };
}

async function engine(t: Test, cfg: RbacConfig, clock: { now: number }): Promise<RbacAuthorizer> {
  const rbac = new RbacAuthorizer(cfg, new MemoryRbacStore(), { now: () => clock.now });
  await rbac.start();
  t.teardown(() => rbac.close());
  return rbac;
}

const id = (subject: string): Identity => ({ subject, roles: [], tenant: undefined, scopes: [] });

/** Decides, checks the explanation agrees, and returns the decision with the explanation's condition lines. */
async function ask(rbac: RbacAuthorizer, subject: string, code: string, requestFacts: RequestFacts | undefined, now: number): Promise<{ allowed: boolean; conditions: string[] }> {
  const request = { identity: id(subject), tenant: undefined, codes: [code as PermissionCode], mode: 'all' as const, sensitive: false, facts: requestFacts };
  const decision = await rbac.authorize(request);
  const explained = await rbac.explain(request, now);
  if (explained.allowed !== decision.allowed) throw new Error(`explanation disagrees for ${subject} ${code}`);
  const conditions = explained.codes.flatMap((c) => [...c.grantedBy, ...c.conditionFailed]).flatMap((g) => (g.conditions ?? []).map((k) => `${k.key}:${k.held ? 'held' : 'failed'}`));
  return { allowed: decision.allowed, conditions };
}

t.test('a conditional role grant holds inside its window only, and the explanation says which condition failed', async (t) => {
  const clock = { now: at('2026-03-04T09:00:00Z') }; // Wednesday 10:00 in Berlin
  const rbac = await engine(t, config({ carol: { roles: [{ role: 'on-call' }] } }), clock);
  const inside = await ask(rbac, 'carol', 'admin:access', facts({ subject: 'carol' }), clock.now);
  t.same(inside, { allowed: true, conditions: ['time:held', 'days:held'] });
  t.ok((await ask(rbac, 'carol', 'status:read', facts({ subject: 'carol' }), clock.now)).allowed, 'the unconditional grant');
  clock.now = at('2026-03-04T20:00:00Z'); // Wednesday 21:00 in Berlin
  t.same(await ask(rbac, 'carol', 'admin:access', facts({ subject: 'carol' }), clock.now), { allowed: false, conditions: ['time:failed', 'days:held'] });
  clock.now = at('2026-03-07T09:00:00Z'); // Saturday 10:00
  t.same(await ask(rbac, 'carol', 'admin:access', facts({ subject: 'carol' }), clock.now), { allowed: false, conditions: ['time:held', 'days:failed'] });
  t.notOk((await ask(rbac, 'carol', 'admin:access', undefined, clock.now)).allowed, 'without facts no conditional grant holds');
});

t.test('all keys of one condition must hold: claim and network together', async (t) => {
  const clock = { now: Date.now() };
  const rbac = await engine(t, config({ dan: { roles: [{ role: 'secure-writer' }] } }), clock);
  const mfaInside = facts({ subject: 'dan', claims: { amr: ['mfa'] }, address: '10.1.2.3' });
  t.ok((await ask(rbac, 'dan', 'order:write', mfaInside, clock.now)).allowed);
  t.notOk((await ask(rbac, 'dan', 'order:write', facts({ subject: 'dan', claims: { amr: ['pwd'] }, address: '10.1.2.3' }), clock.now)).allowed, 'no MFA');
  t.notOk((await ask(rbac, 'dan', 'order:write', facts({ subject: 'dan', claims: { amr: ['mfa'] }, address: '203.0.113.9' }), clock.now)).allowed, 'from outside');
  t.ok((await ask(rbac, 'dan', 'order:read', facts({ subject: 'dan' }), clock.now)).allowed, 'the inherited unconditional grant needs nothing');
});

t.test('a binding under a condition: its grants hold while it does, its denies always', async (t) => {
  const clock = { now: Date.now() };
  const rbac = await engine(t, config({
    erin: { roles: [{ role: 'operator', when: { ip: ['10.0.0.0/8'] } }], grants: [{ code: 'ops:shutdown' }] },
  }), clock);
  t.ok((await ask(rbac, 'erin', 'ops:restart', facts({ subject: 'erin', address: '10.0.0.5' }), clock.now)).allowed, 'inside the network');
  t.notOk((await ask(rbac, 'erin', 'ops:restart', facts({ subject: 'erin', address: '198.51.100.1' }), clock.now)).allowed, 'outside it');
  t.notOk((await ask(rbac, 'erin', 'ops:shutdown', facts({ subject: 'erin', address: '198.51.100.1' }), clock.now)).allowed, 'the role’s deny holds outside the condition too, over a direct grant');
  const held = await rbac.authorize({ identity: id('erin'), tenant: undefined, codes: ['ops:restart' as PermissionCode], mode: 'all', sensitive: false, facts: facts({ subject: 'erin', address: '10.0.0.5' }) });
  t.same(held.allowed && held.roles, [], 'a conditionally held role is not announced to the upstream as held');
});

t.test('a direct grant under a condition, and a path parameter that must name the caller', async (t) => {
  const clock = { now: Date.now() };
  const rbac = await engine(t, config({ frank: { grants: [{ code: 'profile:write', when: { param: { userId: 'subject' } } }] } }), clock);
  t.ok((await ask(rbac, 'frank', 'profile:write', facts({ subject: 'frank', params: { userId: 'frank' } }), clock.now)).allowed);
  t.notOk((await ask(rbac, 'frank', 'profile:write', facts({ subject: 'frank', params: { userId: 'grace' } }), clock.now)).allowed);
});

t.test('{subject} grants reach their holder only; a name that cannot be a code part holds none; a {subject} deny holds', async (t) => {
  const clock = { now: Date.now() };
  const rbac = await engine(t, config({
    alice: { roles: [{ role: 'self-service' }, { role: 'deleter' }] },
    bob: { roles: [{ role: 'self-service' }] },
    'Jane Doe': { roles: [{ role: 'self-service' }, { role: 'deleter' }] },
    gina: { grants: [{ code: 'inbox:read:{subject}' }] },
  }), clock);
  t.ok((await ask(rbac, 'alice', 'user:edit:alice', facts(), clock.now)).allowed);
  t.notOk((await ask(rbac, 'alice', 'user:edit:bob', facts(), clock.now)).allowed, 'not another user');
  t.ok((await ask(rbac, 'bob', 'user:edit:bob', facts({ subject: 'bob' }), clock.now)).allowed, 'the shared role fills in each holder');
  t.notOk((await ask(rbac, 'bob', 'user:edit:alice', facts({ subject: 'bob' }), clock.now)).allowed);
  t.notOk((await ask(rbac, 'alice', 'user:delete:alice', facts(), clock.now)).allowed, 'the {subject} deny beats a wildcard grant');
  t.ok((await ask(rbac, 'alice', 'user:delete:bob', facts(), clock.now)).allowed, '…for the holder only');
  t.notOk((await ask(rbac, 'Jane Doe', 'user:edit:Jane', facts({ subject: 'Jane Doe' }), clock.now)).allowed, 'a name with a space fills nothing in');
  t.notOk((await ask(rbac, 'Jane Doe', 'user:delete:bob', facts({ subject: 'Jane Doe' }), clock.now)).allowed, 'and its {subject} deny widens to every object');
  t.ok((await ask(rbac, 'gina', 'inbox:read:gina', facts({ subject: 'gina' }), clock.now)).allowed, 'a direct {subject} grant');
  t.notOk((await ask(rbac, 'gina', 'inbox:read:{subject}', facts({ subject: 'gina' }), clock.now)).allowed, 'the pattern as written matches nothing');
});

t.test('a stored role whose condition cannot be read grants nothing under it, and the rest still works', async (t) => {
  const clock = { now: Date.now() };
  const store = new MemoryRbacStore();
  const rbac = new RbacAuthorizer(config({ hank: { roles: [{ role: 'odd' }] } }), store, { now: () => clock.now });
  await rbac.start();
  t.teardown(() => rbac.close());
  const roles = await store.loadRoles();
  await store.writeRole('odd', roles.stamp, { name: 'odd', grants: ['a:read'], conditionalGrants: [{ code: 'a:write', when: { time: 'whenever' } }], denies: [], inherits: [] });
  await rbac.applyAndWait({ kind: 'role', name: 'odd', version: 1 });
  t.ok((await ask(rbac, 'hank', 'a:read', facts({ subject: 'hank' }), clock.now)).allowed);
  t.notOk((await ask(rbac, 'hank', 'a:write', facts({ subject: 'hank' }), clock.now)).allowed);
});
