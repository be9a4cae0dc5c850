// Revocations: revoke one token by its jti, or every token of a subject issued before a moment; lift a subject's
// revocation; see what is in force. Each change is confirmed first and made by the admin API (which audits it).
import { api, describe } from '../api.js';
import { confirmDialog, field, h, isoOf, notice, put, table, when } from '../dom.js';

interface Snapshot { tokens: { jti: string; exp: number }[]; subjects: { subject: string; before: number }[] }

const seconds = (iso: string | undefined) => (iso === undefined ? undefined : Math.floor(Date.parse(iso) / 1000));

export async function revocationsPage(root: HTMLElement): Promise<void> {
  const status = h('div', { 'aria-live': 'polite' });
  const list = h('section', { 'aria-labelledby': 'in-force-h' });
  const run = async (title: string, text: string, call: () => Promise<unknown>) => {
    if (!(await confirmDialog(title, h('p', {}, text), 'Revoke'))) return;
    try {
      await call();
      put(status, notice('ok', `Done: ${text}`));
      await draw();
    } catch (err) {
      put(status, notice('error', describe(err)));
    }
  };

  const subject = h('input', { id: 'rv-subject', required: true, autocomplete: 'off' });
  const before = h('input', { id: 'rv-before', type: 'datetime-local' });
  const bySubject = h('form', { class: 'grid', 'aria-labelledby': 'rv-subject-h' },
    h('h2', { id: 'rv-subject-h' }, 'Revoke a subject'),
    field('Subject', subject),
    field('Tokens issued before (optional)', before, 'default: now — every token the subject holds now'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Revoke the subject')));
  bySubject.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = { subject: subject.value.trim(), ...(isoOf(before.value) ? { before: seconds(isoOf(before.value)) } : {}) };
    void run('Revoke a subject', `every token of ${body.subject} issued ${isoOf(before.value) ? `before ${before.value}` : 'until now'} is refused`, () => api('POST', '/admin/revocations', body));
  });

  const jti = h('input', { id: 'rv-jti', required: true, autocomplete: 'off' });
  const exp = h('input', { id: 'rv-exp', type: 'datetime-local' });
  const byToken = h('form', { class: 'grid', 'aria-labelledby': 'rv-token-h' },
    h('h2', { id: 'rv-token-h' }, 'Revoke one token'),
    field('Token id (jti)', jti),
    field('The token expires at (optional)', exp, 'the entry is kept until then; default: the longest a token may live'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Revoke the token')));
  byToken.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = { jti: jti.value.trim(), ...(isoOf(exp.value) ? { exp: seconds(isoOf(exp.value)) } : {}) };
    void run('Revoke a token', `the token ${body.jti} is refused`, () => api('POST', '/admin/revocations', body));
  });

  const draw = async () => {
    try {
      const snapshot = await api<Snapshot>('GET', '/admin/revocations');
      const lift = async (name: string) => {
        if (!(await confirmDialog('Lift a revocation', h('p', {}, `Tokens of ${name} are accepted again (those not expired).`), 'Lift'))) return;
        try {
          await api('DELETE', `/admin/revocations/subjects/${encodeURIComponent(name)}`);
          put(status, notice('ok', `Lifted the revocation of ${name}.`));
          await draw();
        } catch (err) {
          put(status, notice('error', describe(err)));
        }
      };
      put(list, h('h2', { id: 'in-force-h' }, 'In force'),
        table('Revoked subjects', ['Subject', 'Tokens issued before', ''], snapshot.subjects.map((s) => [h('code', {}, s.subject), when(s.before * 1000), h('button', { type: 'button', onclick: () => void lift(s.subject) }, `Lift ${s.subject}`)]), 'No subject is revoked.'),
        table('Revoked tokens', ['jti', 'Kept until'], snapshot.tokens.map((t) => [h('code', {}, t.jti), when(t.exp * 1000)]), 'No token is revoked.'));
    } catch (err) {
      put(list, h('h2', { id: 'in-force-h' }, 'In force'), notice('error', describe(err)));
    }
  };
  root.append(status, h('div', { class: 'columns' }, bySubject, byToken), list);
  await draw();
}
