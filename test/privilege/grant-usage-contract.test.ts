// One contract, run against the grant-usage part of every store family (test/helpers/store-families.ts): days per
// (subject, grant) and per role grant are only ever raised, subjects are kept apart (a subject named like another's
// key, or `constructor`, is only a name), the first recorded day is remembered, and an empty store reads as empty.
import t, { type Test } from 'tap';
import type { Store } from '../../src/stores/store.js';
import { forEachStoreFamily } from '../helpers/store-families.js';

async function contract(t: Test, store: Store): Promise<void> {
  const usage = store.grantUsage();
  t.same([...(await usage.subjectUsage('alice'))], [], 'nothing recorded: empty');
  t.same([...(await usage.roleUsage())], []);
  t.equal(await usage.since(), undefined);

  await usage.record(
    [
      { subject: 'alice', grant: 'role:viewer order:read', day: 20_000 },
      { subject: 'alice', grant: 'direct:acme billing:read', day: 20_000 },
      { subject: 'bob', grant: 'role:viewer order:read', day: 19_990 },
      { subject: 'constructor', grant: 'direct order:read', day: 20_001 },
      { subject: 'a}b{c', grant: 'direct order:read', day: 20_002 },
    ],
    [{ grant: 'role:viewer order:read', day: 20_000 }],
  );
  t.same(Object.fromEntries(await usage.subjectUsage('alice')), { 'role:viewer order:read': 20_000, 'direct:acme billing:read': 20_000 });
  t.same(Object.fromEntries(await usage.subjectUsage('bob')), { 'role:viewer order:read': 19_990 });
  t.same(Object.fromEntries(await usage.subjectUsage('constructor')), { 'direct order:read': 20_001 });
  t.same(Object.fromEntries(await usage.subjectUsage('a}b{c')), { 'direct order:read': 20_002 }, 'braces in a subject stay a name');
  t.same(Object.fromEntries(await usage.roleUsage()), { 'role:viewer order:read': 20_000 });
  t.equal(await usage.since(), 19_990);

  // A late flush (or an instance whose clock is behind) writes an older day: nothing moves back.
  await usage.record([{ subject: 'alice', grant: 'role:viewer order:read', day: 19_000 }, { subject: 'alice', grant: 'role:editor order:write', day: 20_005 }], [{ grant: 'role:viewer order:read', day: 19_000 }]);
  t.same(Object.fromEntries(await usage.subjectUsage('alice')), { 'role:viewer order:read': 20_000, 'direct:acme billing:read': 20_000, 'role:editor order:write': 20_005 });
  t.same(Object.fromEntries(await usage.roleUsage()), { 'role:viewer order:read': 20_000 });
  t.equal(await usage.since(), 19_000, 'the first day is the earliest ever written');

  // A later day raises it; an empty batch is nothing.
  await usage.record([{ subject: 'bob', grant: 'role:viewer order:read', day: 20_010 }], [{ grant: 'role:viewer order:read', day: 20_010 }]);
  await usage.record([], []);
  t.same(Object.fromEntries(await usage.subjectUsage('bob')), { 'role:viewer order:read': 20_010 });
  t.same(Object.fromEntries(await usage.roleUsage()), { 'role:viewer order:read': 20_010 });

  // One batch of many subjects (a flush), as the recorder sends it.
  const many = Array.from({ length: 2_000 }, (_, i) => ({ subject: `user-${i}`, grant: 'role:viewer order:read', day: 20_011 }));
  await usage.record(many, []);
  t.same(Object.fromEntries(await usage.subjectUsage('user-1999')), { 'role:viewer order:read': 20_011 });
}

forEachStoreFamily(t, (family) => `grant usage on the ${family} store: days only rise, subjects stay apart`, contract);
