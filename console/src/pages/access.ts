// Access: roles (and what they inherit, drawn), subjects with their bindings, grants and denies (expiry shown), and
// changes to them. Every change is first previewed by the admin API (POST /admin/rbac/dry-run: the entries as a
// diff, who gains and who loses which codes, and the refusal the API's self-edit and escalation rules would give),
// confirmed, then made by the admin API's own endpoint — which enforces those rules again.
import { api, describe, query } from '../api.js';
import { confirmDialog, field, h, isoOf, notice, put, table, when, words } from '../dom.js';
import { roleGraph } from '../graph.js';

/** A role's grant as the admin API writes it: a code, or a code held only under a condition. */
type Grant = string | { code: string; when: Record<string, unknown> };
interface Role { name: string; grants: Grant[]; denies: string[]; inherits: string[]; description?: string; source: 'config' | 'admin' }
interface Scoped { tenant?: string; expires?: string }
interface Binding extends Scoped { role: string }
interface Entry extends Scoped { code: string }
interface Record_ { roles: Binding[]; grants: Entry[]; denies: Entry[] }
interface SubjectView { subject: string; config: Record_ | null; dynamic: Record_ }
interface AccessChange { holder: string; kind: 'subject' | 'token-role'; tenant?: string; on: string; change: 'gains' | 'loses' }
interface DryRun { entries: { change: '+' | '-'; entry: string }[]; access: AccessChange[]; refusal: { code: string; detail: string } | null }

const enc = encodeURIComponent;

function preview(title: string, result: DryRun): Node {
  const diff = h('pre', { class: 'diff', 'aria-label': 'The change' }, ...result.entries.map((e) => h('span', { class: e.change === '+' ? 'add' : 'del' }, `${e.change} ${e.entry}\n`)));
  const gains = result.access.map((a) => [a.holder + (a.kind === 'token-role' ? ' (any token naming this role)' : ''), a.tenant ?? '—', h('code', {}, a.on), h('span', { class: `badge ${a.change === 'gains' ? 'good' : 'bad'}` }, a.change)]);
  return h('div', {},
    h('p', {}, title),
    result.entries.length > 0 ? diff : h('p', {}, 'The entries stay as they are.'),
    table('Who gains or loses which codes', ['Who', 'Tenant', 'Code or route', 'Change'], gains, 'Nobody gains or loses a code any route requires.'));
}

/** Previews `body` with the API, asks for confirmation, then runs `apply`. Resolves true when the change was made. */
async function confirmed(title: string, body: unknown, apply: () => Promise<unknown>, status: HTMLElement): Promise<boolean> {
  put(status);
  let result: DryRun;
  try {
    result = await api<DryRun>('POST', '/admin/rbac/dry-run', body);
  } catch (err) {
    put(status, notice('error', describe(err)));
    return false;
  }
  const blocked = result.refusal ? `The admin API will refuse this: ${result.refusal.code}: ${result.refusal.detail}` : undefined;
  if (!(await confirmDialog('Confirm the change', preview(title, result), 'Apply', blocked))) return false;
  try {
    await apply();
    put(status, notice('ok', `Done: ${title}`));
    return true;
  } catch (err) {
    put(status, notice('error', describe(err)));
    return false;
  }
}

const scopeText = (e: Scoped): Node => h('span', {}, e.tenant ? `tenant ${e.tenant}` : 'all tenants', e.expires ? h('span', {}, ', until ', when(e.expires)) : '');
const plain = (list: readonly Scoped[]) => list.map(({ tenant, expires }) => ({ ...(tenant ? { tenant } : {}), ...(expires ? { expires } : {}) }));
const asBody = (r: Record_) => ({
  roles: r.roles.map((b, i) => ({ role: b.role, ...plain(r.roles)[i] })),
  grants: r.grants.map((g, i) => ({ code: g.code, ...plain(r.grants)[i] })),
  denies: r.denies.map((d, i) => ({ code: d.code, ...plain(r.denies)[i] })),
});

export async function accessPage(root: HTMLElement): Promise<void> {
  const status = h('div', { 'aria-live': 'polite' });
  const rolesBox = h('section', { 'aria-labelledby': 'roles-h' });
  const subjectsBox = h('section', { 'aria-labelledby': 'subjects-h' });
  root.append(status, subjectsBox, rolesBox);
  let roles: Role[] = [];

  // --- roles -------------------------------------------------------------------------------------------------
  const drawRoles = async () => {
    roles = (await api<{ roles: Role[] }>('GET', '/admin/rbac/roles')).roles;
    const name = h('input', { id: 'r-name', required: true, autocomplete: 'off' });
    const grants = h('textarea', { id: 'r-grants', rows: 2 });
    const denies = h('textarea', { id: 'r-denies', rows: 2 });
    const inherits = h('input', { id: 'r-inherits', autocomplete: 'off' });
    const editor = h('form', { class: 'grid', 'aria-labelledby': 'role-edit-h' },
      h('h3', { id: 'role-edit-h' }, 'Create or change a role'),
      field('Role name', name),
      field('Grants', grants, 'permission codes, comma or newline separated'),
      field('Denies', denies, 'permission codes'),
      field('Inherits', inherits, 'role names'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'r-submit' }, 'Preview the change')));
    // Conditional grants are shown, not edited here: a change of the role keeps them as they are.
    let keptConditional: Grant[] = [];
    editor.addEventListener('submit', async (event) => {
      event.preventDefault();
      const kept = roles.find((r) => r.name === name.value.trim()) ? keptConditional : [];
      const definition = { grants: [...words(grants.value), ...kept], denies: words(denies.value), inherits: words(inherits.value) };
      const role = name.value.trim();
      if (await confirmed(`role ${role}`, { role, definition }, () => api('PUT', `/admin/rbac/roles/${enc(role)}`, definition), status)) await drawRoles();
    });
    const edit = (role: Role) => {
      name.value = role.name;
      grants.value = role.grants.filter((g): g is string => typeof g === 'string').join('\n');
      keptConditional = role.grants.filter((g) => typeof g !== 'string');
      denies.value = role.denies.join('\n');
      inherits.value = role.inherits.join(', ');
      name.focus();
    };
    const remove = async (role: Role) => {
      if (await confirmed(`delete role ${role.name}`, { role: role.name, delete: true }, () => api('DELETE', `/admin/rbac/roles/${enc(role.name)}`), status)) await drawRoles();
    };
    put(rolesBox,
      h('h2', { id: 'roles-h' }, 'Roles'),
      h('figure', {}, roleGraph(roles), h('figcaption', {}, 'An arrow points from a role to the role it inherits. Config roles are changed in the config file; roles made here can be edited.')),
      table('Roles', ['Role', 'Source', 'Grants', 'Denies', 'Inherits', 'Change'], roles.map((role) => [
        h('code', {}, role.name), role.source, role.grants.map(grantText).join(', '), role.denies.join(', '), role.inherits.join(', '),
        role.source === 'admin' ? h('span', {}, h('button', { type: 'button', onclick: () => edit(role) }, `Edit ${role.name}`), ' ', h('button', { type: 'button', onclick: () => void remove(role) }, `Delete ${role.name}`)) : '',
      ])),
      editor);
  };

  // --- subjects ----------------------------------------------------------------------------------------------
  const given = new URLSearchParams(location.search).get('subject') ?? '';
  const lookup = h('input', { id: 's-name', required: true, autocomplete: 'off', value: given });
  const detail = h('div', { id: 'subject-detail' });
  const known = h('div');
  const find = h('form', { class: 'inline', role: 'search' }, field('Subject', lookup), h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')));
  put(subjectsBox, h('h2', { id: 'subjects-h' }, 'Subjects'), find, detail, known);

  const drawSubject = async (subject: string) => {
    history.replaceState(null, '', `/console/access${query({ subject })}`);
    const view = await api<SubjectView>('GET', `/admin/rbac/subjects/${enc(subject)}`);
    const current = view.dynamic;
    const change = async (title: string, next: Record_, apply: () => Promise<unknown>) => {
      if (await confirmed(`${title} (subject ${subject})`, { subject, record: asBody(next) }, apply, status)) {
        await drawSubject(subject);
        status.append(h('p', {}, h('a', { href: `/console/explain?sub=${enc(subject)}` }, `Explain a request by ${subject} again →`)));
      }
    };
    const without = <T extends Scoped>(list: T[], item: T) => list.filter((x) => x !== item);
    const rows = (kind: 'roles' | 'grants' | 'denies', editable: boolean, record: Record_) => (record[kind] as (Binding | Entry)[]).map((item) => {
      const label = 'role' in item ? item.role : item.code;
      const removeIt = () => {
        const next = { ...current, [kind]: without(current[kind] as (Binding | Entry)[], item) } as Record_;
        const tenant = query({ tenant: item.tenant });
        const path = kind === 'roles' ? `/admin/rbac/subjects/${enc(subject)}/roles/${enc(label)}${tenant}` : `/admin/rbac/subjects/${enc(subject)}/${kind}${query({ code: label, tenant: item.tenant })}`;
        void change(`remove ${kind === 'roles' ? 'role' : kind === 'grants' ? 'grant' : 'deny'} ${label}`, next, () => api('DELETE', path));
      };
      return [kind === 'roles' ? 'role' : kind === 'grants' ? 'grant' : 'deny', h('code', {}, label), scopeText(item), editable ? h('button', { type: 'button', onclick: removeIt }, `Remove ${label}`) : 'config file'];
    });
    const heads = ['Kind', 'Role or code', 'Scope', 'Change'];
    const fromConfig = view.config ? [...rows('roles', false, view.config), ...rows('grants', false, view.config), ...rows('denies', false, view.config)] : [];
    const dynamic = [...rows('roles', true, current), ...rows('grants', true, current), ...rows('denies', true, current)];

    const kind = h('select', { id: 'a-kind' }, h('option', { value: 'roles' }, 'role binding'), h('option', { value: 'grants' }, 'grant'), h('option', { value: 'denies' }, 'deny'));
    const value = h('input', { id: 'a-value', required: true, autocomplete: 'off', list: 'role-names' });
    const tenant = h('input', { id: 'a-tenant', autocomplete: 'off' });
    const expires = h('input', { id: 'a-expires', type: 'datetime-local' });
    const revoke = h('input', { id: 'a-revoke', type: 'checkbox' });
    const add = h('form', { class: 'grid', 'aria-labelledby': 'add-h' },
      h('h3', { id: 'add-h' }, `Give ${subject} more`),
      field('Kind', kind),
      field('Role or permission code', value),
      h('datalist', { id: 'role-names' }, ...roles.map((r) => h('option', { value: r.name }))),
      field('Tenant (optional)', tenant),
      field('Expires (optional)', expires, 'a temporary grant ends by itself'),
      h('div', { class: 'field check' }, revoke, h('label', { for: 'a-revoke' }, 'Also revoke the tokens this subject holds now')),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'a-submit' }, 'Preview the change')));
    add.addEventListener('submit', (event) => {
      event.preventDefault();
      const scope = { ...(tenant.value.trim() ? { tenant: tenant.value.trim() } : {}), ...(isoOf(expires.value) ? { expires: isoOf(expires.value)! } : {}) };
      const which = kind.value as 'roles' | 'grants' | 'denies';
      const item = which === 'roles' ? { role: value.value.trim(), ...scope } : { code: value.value.trim(), ...scope };
      const next = { ...current, [which]: [...(current[which] as Scoped[]), item] } as Record_;
      const body = { ...item, ...(revoke.checked ? { revokeTokens: true } : {}) };
      void change(`add ${which === 'roles' ? 'role' : which === 'grants' ? 'grant' : 'deny'} ${value.value.trim()}`, next, () => api('POST', `/admin/rbac/subjects/${enc(subject)}/${which}`, body));
    });
    put(detail,
      h('h3', {}, `Subject ${subject}`),
      table(`What the config file gives ${subject}`, heads, fromConfig, 'Nothing in the config file.'),
      table(`What the admin API gives ${subject}`, heads, dynamic, 'Nothing given through the admin API.'),
      add);
  };
  find.addEventListener('submit', (event) => {
    event.preventDefault();
    if (lookup.value.trim() !== '') drawSubject(lookup.value.trim()).catch((err) => put(detail, notice('error', describe(err))));
  });

  try {
    await drawRoles();
  } catch (err) {
    put(rolesBox, h('h2', { id: 'roles-h' }, 'Roles'), notice('error', describe(err)));
  }
  try {
    const list = await api<{ configured: string[]; dynamic: string[] }>('GET', '/admin/rbac/subjects?count=200');
    const names = [...new Set([...list.configured, ...list.dynamic])].sort();
    put(known, h('h3', {}, 'Known subjects'), names.length > 0 ? h('ul', { class: 'plain names' }, ...names.map((n) => h('li', {}, h('a', { href: `/console/access?subject=${enc(n)}` }, n)))) : h('p', {}, 'None yet.'));
  } catch (err) {
    put(known, notice('error', describe(err)));
  }
  if (given !== '') await drawSubject(given).catch((err) => put(detail, notice('error', describe(err))));
}

/** A grant as text: a code, or a code with its condition (`when` as JSON). */
function grantText(grant: Grant): string {
  return typeof grant === 'string' ? grant : `${grant.code} when ${JSON.stringify(grant.when)}`;
}
