// Micro-benchmark: what conditions on grants cost a cached decision. One run, five cases on the same engine and
// the same subjects, interleaved round by round so the machine's drift falls on all of them alike:
//   plain        no conditional grant anywhere in the subject's permissions (the baseline);
//   unused       the subject holds conditional grants, but an unconditional one decides (nothing to evaluate);
//   time         a conditional grant decides: a window in Europe/Berlin and weekdays;
//   ip+claim     a conditional grant decides: a network and a list claim;
//   param        a `param: { userId: subject }` condition decides;
// plus `subject`, a `{subject}` grant deciding (filled in at compile time: should cost what `plain` does).
// It reports ns per decision and each case's cost over `plain`. Aim (issue 16): under 0.3 µs added when a condition
// is evaluated, nothing when none is.
import { performance } from 'node:perf_hooks';
import { defaultRbac } from '../src/config/validate-rbac.js';
import type { Identity } from '../src/auth/identity.js';
import type { AuthorizationRequest } from '../src/rbac/authorizer.js';
import type { RequestFacts } from '../src/rbac/condition.js';
import type { RoleDefinition, SubjectRecord } from '../src/rbac/model.js';
import { RbacAuthorizer } from '../src/rbac/rbac-authorizer.js';
import type { PermissionCode } from '../src/routing/permission-template.js';
import { MemoryRbacStore } from '../src/stores/memory/memory-rbac-store.js';

const SUBJECTS = 1_000;
const ROUND = 500_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const out = (text: string): void => void process.stdout.write(text);

function roles(): Map<string, RoleDefinition> {
  const filler = Array.from({ length: 200 }, (_, i) => `m${i % 20}:read:${i}`);
  const list: RoleDefinition[] = [
    { name: 'plain', grants: [...filler, 'order:read', 'order:write'], denies: [], inherits: [] },
    {
      name: 'conditional',
      grants: [...filler, 'order:read'],
      conditionalGrants: [
        { code: 'admin:access', when: { time: '00:00-24:00 Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] } },
        { code: 'invoice:approve', when: { ip: ['10.0.0.0/8', '192.168.0.0/16'], claim: { amr: { contains: 'mfa' } } } },
        { code: 'profile:write', when: { param: { userId: 'subject' } } },
      ],
      denies: [],
      inherits: [],
    },
    { name: 'self', grants: ['user:edit:{subject}'], denies: [], inherits: [] },
  ];
  return new Map(list.map((role) => [role.name, role]));
}

function facts(subject: string): RequestFacts {
  return {
    subject,
    address: '10.20.30.40',
    claims: { sub: subject, amr: ['pwd', 'mfa'] },
    param: (name) => (name === 'userId' ? subject : undefined),
  };
}

interface Case {
  readonly name: string;
  readonly requests: readonly AuthorizationRequest[];
}

async function main(): Promise<void> {
  const subjects = new Map<string, SubjectRecord>();
  for (let i = 0; i < SUBJECTS; i++) {
    const bound = i % 2 === 0 ? ['plain', 'self'] : ['conditional', 'self'];
    subjects.set(`u${i}`, { roles: bound.map((role) => ({ role })), grants: [], denies: [] });
  }
  const authorizer = new RbacAuthorizer({ ...defaultRbac(), policy: { roles: roles(), subjects } }, new MemoryRbacStore());
  await authorizer.start();
  const request = (i: number, code: string): AuthorizationRequest => {
    const identity: Identity = { subject: `u${i}`, roles: [], tenant: undefined, scopes: [] };
    return { identity, tenant: undefined, codes: [code as PermissionCode], mode: 'all', sensitive: false, facts: facts(`u${i}`) };
  };
  const even = Array.from({ length: SUBJECTS / 2 }, (_, k) => 2 * k);
  const odd = Array.from({ length: SUBJECTS / 2 }, (_, k) => 2 * k + 1);
  const cases: Case[] = [
    { name: 'plain', requests: even.map((i) => request(i, 'order:read')) },
    { name: 'unused', requests: odd.map((i) => request(i, 'order:read')) },
    { name: 'time', requests: odd.map((i) => request(i, 'admin:access')) },
    { name: 'ip+claim', requests: odd.map((i) => request(i, 'invoice:approve')) },
    { name: 'param', requests: odd.map((i) => request(i, 'profile:write')) },
    { name: 'subject', requests: even.map((i) => request(i, `user:edit:u${i}`)) },
  ];
  // Warm: compile every subject, check every case is allowed (a bench of refusals would measure something else).
  for (const c of cases) {
    for (const r of c.requests) {
      const decision = await authorizer.authorize(r);
      if (!decision.allowed) throw new Error(`${c.name}: ${r.identity.subject} refused ${r.codes[0]}`);
    }
  }
  const samples = new Map(cases.map((c) => [c.name, [] as number[]]));
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const list = c.requests;
      const from = performance.now();
      for (let n = 0; n < ROUND; n++) {
        const decision = authorizer.authorize(list[n % list.length]!) as { allowed: boolean };
        if (decision.allowed) sink++;
      }
      samples.get(c.name)!.push(((performance.now() - from) * 1e6) / ROUND);
    }
  }
  if (sink !== ROUNDS * ROUND * cases.length) throw new Error('a decision changed during the run');
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(samples.get('plain')!);
  out(`rbac conditions — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${ROUNDS} rounds × ${ROUND.toLocaleString('en')} decisions per case\n`);
  out('case        ns/decision (median)   range            over plain\n');
  for (const c of cases) {
    const xs = samples.get(c.name)!;
    const m = median(xs);
    const range = `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
    out(`${c.name.padEnd(12)}${m.toFixed(0).padStart(8)}               ${range.padEnd(17)}${c.name === 'plain' ? '' : `${m - base >= 0 ? '+' : ''}${(m - base).toFixed(0)} ns`}\n`);
  }
  await authorizer.close();
}

await main();
