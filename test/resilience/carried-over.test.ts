// What decides whether a breaker or last-good cache outlives a reload: its key names everything it depends on, in a
// form that does not change with the order the YAML was written in.
import t from 'tap';
import { CarriedOver, configKey } from '../../src/upstream/carried-over.js';

t.test('a config key ignores the order of keys and of set members, and sees every value', async (t) => {
  const a = { name: 'upstream:svc', breaker: { failureRate: 50, failOn: new Set([502, 500]) }, url: 'http://a/' };
  const b = { url: 'http://a/', breaker: { failOn: new Set([500, 502]), failureRate: 50 }, name: 'upstream:svc' };
  t.equal(configKey(a), configKey(b));
  t.not(configKey(a), configKey({ ...a, breaker: { ...a.breaker, failOn: new Set([500]) } }), 'one status fewer');
  t.not(configKey(a), configKey({ ...a, url: 'http://b/' }), 'another backend');
  t.not(configKey(a), configKey({ ...a, breaker: { ...a.breaker, failureRate: 51 } }));
});

t.test('parts are reused under their key and disposed of once the config in force no longer names them', async (t) => {
  const disposed: string[] = [];
  const parts = new CarriedOver<{ id: string }>((part) => disposed.push(part.id));
  const first = parts.obtain('k1', () => ({ id: 'one' }));
  t.equal(parts.obtain('k1', () => ({ id: 'other' })), first, 'the same key: the same part');
  parts.obtain('k2', () => ({ id: 'two' }));
  parts.keepOnly(new Set(['k2']));
  t.same(disposed, ['one']);
  t.not(parts.obtain('k1', () => ({ id: 'three' })), first, 'a disposed part is never handed out again');
  parts.clear();
  t.same(disposed.sort(), ['one', 'three', 'two']);
});
