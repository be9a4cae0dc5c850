// The journey runner on its own (issue 11 §2): stages return outcomes, the runner stops at the first refusal and
// records which stage decided, a stage in shadow mode records its refusal and the request goes on, a bug is a 500
// whatever the mode, read-body suspends and resumes, and every stage's finish runs once the exchange is over.
import t from 'tap';
import { GatewayError } from '../../src/errors.js';
import { finishJourney, runJourney, type Journey } from '../../src/pipeline/journey-runner.js';
import type { Refusal, RequestContext } from '../../src/pipeline/request-context.js';
import { SUSPEND, type Stage, type StageMode, type StageOutcome } from '../../src/pipeline/stage.js';

interface Logged {
  readonly fields: object;
  readonly message: string;
}

function context(): { ctx: RequestContext; logged: Logged[] } {
  const logged: Logged[] = [];
  const log = (fields: object, message: string): void => void logged.push({ fields, message });
  const ctx = { log: { info: log, warn: log, error: log }, refusal: undefined, shadowRefusals: undefined, resumeAt: undefined } as unknown as RequestContext;
  return { ctx, logged };
}

/** A stage that notes it ran and answers `outcome` (synchronously, or after a tick). */
function stage(name: string, ran: string[], outcome: () => StageOutcome, options: { async?: boolean; shadowable?: boolean } = {}): Stage {
  return {
    name,
    shadowable: options.shadowable ?? true,
    run() {
      ran.push(name);
      return options.async ? new Promise<StageOutcome>((resolve) => setImmediate(() => resolve(outcome()))) : outcome();
    },
  };
}

function journey(stages: Stage[], modes: StageMode[] = stages.map(() => 'enforce'), shadowed: Refusal[] = []): Journey {
  return { stages, modes, onShadowRefusal: (_ctx, refusal) => void shadowed.push(refusal) };
}

const pass = (): StageOutcome => undefined;
const forbid = (): StageOutcome => new GatewayError('PG_FORBIDDEN');

t.test('synchronous stages run in order and the run stays synchronous', (t) => {
  const ran: string[] = [];
  const { ctx } = context();
  const end = runJourney(journey([stage('a', ran, pass), stage('b', ran, pass)]), ctx);
  t.equal(end, 'passed', 'not a promise: no stage needed I/O');
  t.same(ran, ['a', 'b']);
  t.equal(ctx.refusal, undefined);
  t.end();
});

t.test('the first refusal ends the run, and the record names the stage that decided', async (t) => {
  const ran: string[] = [];
  const { ctx } = context();
  const end = await runJourney(journey([stage('a', ran, pass, { async: true }), stage('b', ran, forbid, { async: true }), stage('c', ran, pass)]), ctx);
  t.equal(end, 'refused');
  t.same(ran, ['a', 'b'], 'no stage after the refusal ran');
  t.equal(ctx.refusal?.stage, 'b');
  t.equal(ctx.refusal?.error.code, 'PG_FORBIDDEN');
});

t.test('a stage in shadow mode records what it would have refused, and the request goes on', async (t) => {
  const ran: string[] = [];
  const shadowed: Refusal[] = [];
  const { ctx } = context();
  const stages = [stage('authorize', ran, forbid), stage('rate-limit', ran, () => new GatewayError('PG_RATE_LIMITED'), { async: true }), stage('forward', ran, pass)];
  const end = await runJourney(journey(stages, ['shadow', 'shadow', 'enforce'], shadowed), ctx);
  t.equal(end, 'passed', 'nothing was refused for real');
  t.same(ran, ['authorize', 'rate-limit', 'forward'], 'every stage ran');
  t.equal(ctx.refusal, undefined);
  t.same(ctx.shadowRefusals?.map((r) => `${r.stage}:${r.error.code}`), ['authorize:PG_FORBIDDEN', 'rate-limit:PG_RATE_LIMITED'], 'both would-be refusals are on the context');
  t.same(shadowed.map((r) => r.stage), ['authorize', 'rate-limit'], 'and were reported as they happened');
});

t.test('the same stage in enforce mode refuses: the mode alone decides', async (t) => {
  const ran: string[] = [];
  const { ctx } = context();
  const end = await runJourney(journey([stage('authorize', ran, forbid), stage('forward', ran, pass)], ['enforce', 'enforce']), ctx);
  t.equal(end, 'refused');
  t.same(ran, ['authorize']);
  t.equal(ctx.shadowRefusals, undefined);
});

t.test('a stage that throws something other than a GatewayError is a bug: 500, logged, and never shadowed', async (t) => {
  for (const async of [false, true]) {
    const ran: string[] = [];
    const { ctx, logged } = context();
    const broken: Stage = {
      name: 'authorize',
      shadowable: true,
      run() {
        ran.push('authorize');
        if (async) return Promise.reject(new TypeError('boom'));
        throw new TypeError('boom');
      },
    };
    const end = await runJourney(journey([broken, stage('forward', ran, pass)], ['shadow', 'enforce']), ctx);
    t.equal(end, 'refused', `${async ? 'a rejected promise' : 'a throw'} is refused even in shadow mode`);
    t.equal(ctx.refusal?.error.code, 'PG_INTERNAL');
    t.equal(ctx.refusal?.stage, 'authorize');
    t.same(ran, ['authorize'], 'nothing was forwarded');
    t.match(logged, [{ fields: { stage: 'authorize' }, message: 'pipeline stage failed' }], 'logged with its stage');
  }
});

t.test('a GatewayError a stage throws (a domain call it did not wrap) is taken as its refusal', async (t) => {
  const { ctx } = context();
  const thrower: Stage = {
    name: 'match-route',
    run() {
      throw new GatewayError('PG_ROUTE_NOT_FOUND');
    },
  };
  t.equal(await runJourney(journey([thrower]), ctx), 'refused');
  t.equal(ctx.refusal?.error.code, 'PG_ROUTE_NOT_FOUND');
});

t.test('SUSPEND hands the exchange back, and the run resumes at the next stage', async (t) => {
  const ran: string[] = [];
  const { ctx } = context();
  const theJourney = journey([stage('authorize', ran, pass, { async: true }), stage('read-body', ran, () => SUSPEND), stage('forward', ran, pass)]);
  t.equal(await runJourney(theJourney, ctx), 'suspended');
  t.same(ran, ['authorize', 'read-body']);
  t.equal(ctx.resumeAt, 2);
  t.equal(await runJourney(theJourney, ctx, ctx.resumeAt), 'passed');
  t.same(ran, ['authorize', 'read-body', 'forward']);
});

t.test('finish runs for every stage that has one, in journey order, even when one of them fails', (t) => {
  const finished: string[] = [];
  const { ctx, logged } = context();
  const withFinish = (name: string, fail = false): Stage => ({
    name,
    run: () => undefined,
    finish() {
      finished.push(name);
      if (fail) throw new Error('finish failed');
    },
  });
  finishJourney(journey([withFinish('forward', true), { name: 'read-body', run: () => SUSPEND }, withFinish('record')]), ctx);
  t.same(finished, ['forward', 'record']);
  t.match(logged, [{ fields: { stage: 'forward' }, message: 'finishing a stage failed' }]);
  t.end();
});
