// The least-privilege report credits only the grants that allowed a request (issue 14, with conditions of issue 16):
// through the real engine and recorder, a conditional grant counts as used only when its condition held for that
// request, never when an unconditional grant covering the code allowed it, nor when its condition failed; a role bound
// under a condition is a conditional grant of each of its patterns; and two conditional grants that hold at different
// hours of one day are both credited that day.
import t, { type Test } from 'tap';
import type { Identity } from '../../src/auth/identity.js';
import { defaultRbac } from '../../src/config/validate-rbac.js';
import { GrantUsageRecorder, MAX_RECHECKS_PER_SUBJECT } from '../../src/privilege/grant-usage-recorder.js';
import type { RequestFacts } from '../../src/rbac/condition.js';
import type { RoleDefinition, SubjectRecord } from '../../src/rbac/model.js';
import { RbacAuthorizer } from '../../src/rbac/rbac-authorizer.js';
import type { PermissionCode } from '../../src/routing/permission-template.js';
import { MemoryGrantUsage } from '../../src/stores/memory/memory-grant-usage.js';
import { MemoryRbacStore } from '../../src/stores/memory/memory-rbac-store.js';

const INSIDE = '10.1.2.3';
const OUTSIDE = '203.0.113.9';
const OFFICE = { ip: ['10.0.0.0/8'] };

const ROLES = new Map<string, RoleDefinition>([
  // order:read always; every order code from the office network.
  ['clerk', { name: 'clerk', grants: ['order:read'], conditionalGrants: [{ code: 'order:*', when: OFFICE }], denies: [], inherits: [] }],
  ['operator', { name: 'operator', grants: ['ops:*'], denies: [], inherits: [] }],
  ['day-shift', { name: 'day-shift', grants: [], conditionalGrants: [{ code: 'pager:ack', when: { time: '08:00-20:00' } }], denies: [], inherits: [] }],
  ['night-shift', { name: 'night-shift', grants: [], conditionalGrants: [{ code: 'pager:ack', when: { time: '20:00-08:00' } }], denies: [], inherits: [] }],
]);

const SUBJECTS: Record<string, Partial<SubjectRecord>> = {
  ann: { roles: [{ role: 'clerk' }] },
  // A direct grant covering what her conditionally bound role does: the unconditional one is credited.
  eve: { roles: [{ role: 'operator', when: OFFICE }], grants: [{ code: 'ops:restart' }] },
  fay: { roles: [{ role: 'day-shift' }, { role: 'night-shift' }] },
  gus: { grants: [{ code: 'report:export', when: OFFICE }, { code: 'report:*', when: { time: '00:00-01:00' } }] },
};

interface Setup {
  /** Authorizes one code as `subject` from `address` at `now` (with the token's `scopes`); whether it was allowed. */
  ask(subject: string, code: string, address: string | undefined, now: number, scopes?: readonly string[]): Promise<boolean>;
  /** The grant keys `subject` has used, after a flush. */
  used(subject: string): Promise<string[]>;
  readonly recorder: GrantUsageRecorder;
}

async function setUp(t: Test): Promise<Setup> {
  const store = new MemoryGrantUsage();
  const recorder = new GrantUsageRecorder(store, { flushInterval: 3_600_000, maxSubjects: 100, maxPending: 1_000 });
  let clock = 0;
  const records = new Map(Object.entries(SUBJECTS).map(([name, r]) => [name, { roles: [], grants: [], denies: [], ...r }]));
  const rbac = new RbacAuthorizer({ ...defaultRbac(), tokenScopes: true, policy: { roles: ROLES, subjects: records } }, new MemoryRbacStore(), { now: () => clock, grantUse: recorder });
  await rbac.start();
  t.teardown(async () => {
    await rbac.close();
    await recorder.close();
  });
  return {
    recorder,
    async ask(subject, code, address, now, scopes = []) {
      clock = now;
      const identity: Identity = { subject, roles: [], tenant: undefined, scopes };
      const facts: RequestFacts = { subject, address, claims: undefined, param: () => undefined };
      const decision = await rbac.authorize({ identity, tenant: undefined, codes: [code as PermissionCode], mode: 'all', sensitive: false, facts });
      return decision.allowed;
    },
    async used(subject) {
      await recorder.flush();
      return [...(await store.subjectUsage(subject)).keys()].sort();
    },
  };
}

const at = (time: string): number => Date.parse(`2026-03-04T${time}:00Z`);

t.test('an unconditional grant that covers the code is credited, not a conditional one whose condition also held', async (t) => {
  const { ask, used } = await setUp(t);
  t.ok(await ask('ann', 'order:read', INSIDE, at('10:00')), 'order:read and order:* (from the office) both cover it');
  t.same(await used('ann'), ['role:clerk order:read']);
});

t.test('a conditional grant whose condition failed is not credited, though it covers the code', async (t) => {
  const { ask, used } = await setUp(t);
  t.ok(await ask('ann', 'order:read', OUTSIDE, at('10:00')), 'allowed by order:read alone');
  t.notOk(await ask('ann', 'order:write', OUTSIDE, at('10:05')), 'order:* does not hold outside the office');
  t.same(await used('ann'), ['role:clerk order:read']);
});

t.test('a conditional grant whose condition held, and no unconditional grant covering the code, is credited', async (t) => {
  const { ask, used } = await setUp(t);
  t.ok(await ask('ann', 'order:write', INSIDE, at('10:00')));
  t.same(await used('ann'), ['role:clerk order:*']);
});

t.test("a code the token's scope allows credits no conditional grant (and the scope is nothing to record)", async (t) => {
  const { ask, used } = await setUp(t);
  t.ok(await ask('ann', 'order:write', INSIDE, at('10:00'), ['order:write']), 'order:* held, but the scope alone allowed it');
  t.same(await used('ann'), []);
});

t.test("a role bound under a condition: its grants are credited only when the binding's condition held and nothing unconditional covered the code", async (t) => {
  const { ask, used } = await setUp(t);
  t.ok(await ask('eve', 'ops:restart', INSIDE, at('10:00')), 'her direct grant and the role both cover it');
  t.ok(await ask('eve', 'ops:restart', OUTSIDE, at('10:01')), 'her direct grant alone');
  t.notOk(await ask('eve', 'ops:status', OUTSIDE, at('10:02')), 'the role does not hold outside the office');
  t.same(await used('eve'), ['direct ops:restart']);
  t.ok(await ask('eve', 'ops:status', INSIDE, at('10:03')));
  t.same(await used('eve'), ['direct ops:restart', 'role:operator ops:*']);
});

t.test('of two conditional grants covering a code, only the one that held is credited', async (t) => {
  const { ask, used } = await setUp(t);
  t.ok(await ask('gus', 'report:export', INSIDE, at('10:00')), 'the network held; the 00:00-01:00 window did not');
  t.same(await used('gus'), ['direct report:export']);
});

t.test('two conditional grants that hold at different hours of one day are both credited that day', async (t) => {
  const { ask, used } = await setUp(t);
  t.ok(await ask('fay', 'pager:ack', undefined, at('10:00')), 'the day shift');
  t.ok(await ask('fay', 'pager:ack', undefined, at('11:00')), 'again: the night shift is still uncredited, so the code is checked again');
  t.same(await used('fay'), ['role:day-shift pager:ack']);
  t.ok(await ask('fay', 'pager:ack', undefined, at('22:00')), 'the night shift, the same UTC day');
  t.same(await used('fay'), ['role:day-shift pager:ack', 'role:night-shift pager:ack']);
});

t.test('a code left unsettled by a condition that never holds is checked again a bounded number of times a day', async (t) => {
  const { ask, recorder } = await setUp(t);
  // gus's report:export: the 00:00-01:00 grant does not hold at 10:00, so each use checks again, up to the bound.
  let checked = 0;
  for (let i = 0; i < MAX_RECHECKS_PER_SUBJECT + 10; i++) {
    if (recorder.wants('gus', ['report:export'], at('10:00'))) checked++;
    t.ok(await ask('gus', 'report:export', INSIDE, at('10:00')));
  }
  t.equal(checked, MAX_RECHECKS_PER_SUBJECT + 1, 'the first check, then the re-checks; then the code is settled for the day');
  t.notOk(recorder.wants('gus', ['report:export'], at('10:00')));
  t.ok(recorder.wants('gus', ['report:export'], at('10:00') + 86_400_000), 'and checked again the next day');
});
