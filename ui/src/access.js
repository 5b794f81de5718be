// Access control, when the server runs MLflow's basic-auth app: who is signed in (shown in
// the header), their permissions and API tokens, and for admins the users, their grants and
// the audit log. The browser's own credential prompt is the login (the server answers 401
// with a Basic challenge); without auth on the server, none of this is shown.
import { h, clear, fmtTime, section, table, empty, spinner, showError, toast, modal,
  confirmAction } from './dom.js';
import { auth, mltrackCall } from './api.js';

const PERMISSIONS = ['READ', 'USE', 'EDIT', 'MANAGE', 'DENY'];
const TYPES = ['experiment', 'registered_model'];

// The signed-in user, or null when the server has no auth.
let current;
export async function currentUser() {
  if (current === undefined) {
    const r = await mltrackCall('GET', 'auth/whoami');
    current = r.auth ? r.user : null;
  }
  return current;
}

// The header's "signed in as" badge, filled once the user is known.
export function userBadge() {
  const el = h('a', { class: 'user-badge', href: '#/access', hidden: true });
  currentUser().then((u) => {
    if (!u) return;
    el.textContent = u.is_admin ? `${u.username} (admin)` : u.username;
    el.hidden = false;
  }, () => { /* the page itself reports what went wrong */ });
  return el;
}

function field(label, input) {
  return h('label', { class: 'field' }, h('span', null, label), input);
}

function select(options, value) {
  return h('select', null, options.map((o) => h('option', { value: o, selected: o === value }, o)));
}

async function myPermissions(box) {
  clear(box).appendChild(spinner());
  const r = await auth('GET', 'users/current/permissions');
  const rows = (r.permissions || []).map((p) => h('tr', null,
    h('td', null, p.role_name.startsWith('__user_') ? 'direct' : `role ${p.role_name}`),
    h('td', null, p.resource_type), h('td', null, p.resource_pattern), h('td', null, p.permission)));
  clear(box).appendChild(rows.length ? table(['Through', 'Type', 'Resource', 'Permission'], rows)
    : empty('No grants: the server\'s default permission applies everywhere.'));
}

async function tokens(box) {
  clear(box).appendChild(spinner());
  const r = await mltrackCall('GET', 'tokens/list');
  const name = h('input', { type: 'text', placeholder: 'ci-nightly', 'aria-label': 'Token name' });
  const days = h('input', { type: 'number', value: '30', min: '0', max: '3650', 'aria-label': 'Expires in days' });
  const create = h('button', { class: 'primary', onclick: async () => {
    try {
      const t = await mltrackCall('POST', 'tokens/create', { name: name.value.trim(), expires_in_days: Number(days.value) || 0 });
      await modal('New API token', [
        h('p', null, 'Copy it now: it is shown only once. Use it as MLFLOW_TRACKING_TOKEN.'),
        h('input', { type: 'text', value: t.token, class: 'token-secret', readonly: true }),
      ], [{ label: 'Done', value: true, primary: true }]);
      tokens(box);
    } catch (e) { showError(e); }
  } }, 'Create token');
  const rows = (r.tokens || []).map((t) => h('tr', null,
    h('td', null, t.name || '(unnamed)'), h('td', null, t.username), h('td', null, fmtTime(t.created_at)),
    h('td', null, t.expires_at ? fmtTime(t.expires_at) : 'never'),
    h('td', null, t.revoked_at ? `revoked ${fmtTime(t.revoked_at)}`
      : h('button', { class: 'danger', onclick: async () => {
        if (!(await confirmAction('Revoke token', `Revoke "${t.name}"? Requests with it fail at once.`, 'Revoke', true))) return;
        try { await mltrackCall('POST', 'tokens/revoke', { id: t.id }); toast('Token revoked'); tokens(box); } catch (e) { showError(e); }
      } }, 'Revoke'))));
  clear(box).append(
    h('div', { class: 'toolbar' }, field('Name', name), field('Expires in days (0: never)', days), create),
    rows.length ? table(['Name', 'User', 'Created', 'Expires', ''], rows) : empty('No tokens yet.'));
}

async function users(box, me) {
  clear(box).appendChild(spinner());
  const r = await auth('GET', 'users/list');
  const uname = h('input', { type: 'text', 'aria-label': 'New username', placeholder: 'username' });
  const pw = h('input', { type: 'password', 'aria-label': 'New password', placeholder: 'at least 12 characters' });
  const add = h('button', { class: 'primary', onclick: async () => {
    try {
      await auth('POST', 'users/create', { username: uname.value.trim(), password: pw.value });
      toast('User created');
      users(box, me);
    } catch (e) { showError(e); }
  } }, 'Create user');
  const rows = (r.users || []).map((u) => h('tr', null,
    h('td', null, u.username), h('td', null, u.is_admin ? 'admin' : ''),
    h('td', null,
      u.username === me.username ? null : h('button', { onclick: async () => {
        try { await auth('PATCH', 'users/update-admin', { username: u.username, is_admin: !u.is_admin }); users(box, me); } catch (e) { showError(e); }
      } }, u.is_admin ? 'Remove admin' : 'Make admin'),
      u.username === me.username ? null : h('button', { class: 'danger', onclick: async () => {
        if (!(await confirmAction('Delete user', `Delete ${u.username}? Their logins and tokens stop working at once.`, 'Delete', true))) return;
        try { await auth('DELETE', 'users/delete', { username: u.username }); users(box, me); } catch (e) { showError(e); }
      } }, 'Delete'))));
  clear(box).append(h('div', { class: 'toolbar' }, field('Username', uname), field('Password', pw), add),
    table(['User', 'Role', ''], rows));
}

function grantForm(box) {
  const user = h('input', { type: 'text', 'aria-label': 'Grant to user', placeholder: 'username' });
  const type = select(TYPES, 'experiment');
  const id = h('input', { type: 'text', 'aria-label': 'Resource', placeholder: 'experiment id or model name' });
  const perm = select(PERMISSIONS, 'READ');
  const out = h('p', { class: 'muted' });
  const args = () => ({ username: user.value.trim(), resource_type: type.value, resource_id: id.value.trim() });
  clear(box).append(h('div', { class: 'toolbar' }, field('User', user), field('Type', type), field('Resource', id), field('Permission', perm),
    h('button', { class: 'primary', onclick: async () => {
      try { await auth('POST', 'users/permissions/grant', { ...args(), permission: perm.value }); toast('Granted'); } catch (e) { showError(e); }
    } }, 'Grant'),
    h('button', { onclick: async () => {
      try { await auth('POST', 'users/permissions/revoke', args()); toast('Revoked'); } catch (e) { showError(e); }
    } }, 'Revoke'),
    h('button', { onclick: async () => {
      try { const r = await auth('GET', 'users/permissions/get', args()); out.textContent = `Effective permission: ${r.permission}`; } catch (e) { showError(e); }
    } }, 'Check')), out);
}

async function auditLog(box) {
  clear(box).appendChild(spinner());
  const r = await mltrackCall('GET', 'auth/audit', { max_results: 100 });
  const rows = (r.events || []).map((e) => h('tr', null, h('td', null, fmtTime(e.timestamp)), h('td', null, e.actor || ''),
    h('td', null, e.action), h('td', null, e.target || ''), h('td', null, e.detail || '')));
  clear(box).appendChild(rows.length ? table(['When', 'Who', 'Action', 'What', 'Detail'], rows) : empty('Nothing yet.'));
}

export async function accessPage(root) {
  document.title = 'Access · mltrack';
  const me = await currentUser();
  if (!me) {
    root.appendChild(h('p', null, 'This server runs without access control (start it with --app-name basic-auth).'));
    return;
  }
  const perms = h('div'), toks = h('div');
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Access'),
    h('p', { class: 'muted' }, `Signed in as ${me.username}${me.is_admin ? ', an admin' : ''}.`)),
  section('My permissions', perms), section('My API tokens', toks));
  const jobs = [myPermissions(perms), tokens(toks)];
  if (me.is_admin) {
    const us = h('div'), gr = h('div'), au = h('div');
    root.append(section('Users', us), section('Permissions', gr), section('Audit log', au));
    grantForm(gr);
    jobs.push(users(us, me), auditLog(au));
  }
  await Promise.all(jobs);
}

// ---- greying out what the user may not do ----
// A hint only: the server refuses such requests anyway (403). Without auth, or for an
// admin, nothing is greyed out.

const LEVEL = { DENY: -1, NO_PERMISSIONS: 0, READ: 1, USE: 2, EDIT: 3, MANAGE: 4 };
const perms = new Map();

export async function permissionOn(type, id) {
  const me = await currentUser().catch(() => null);
  if (!me || me.is_admin) return 'MANAGE';
  const key = `${type}\u0000${id}`;
  if (!perms.has(key)) {
    perms.set(key, auth('GET', 'users/permissions/get', { username: me.username, resource_type: type, resource_id: String(id) })
      .then((r) => r.permission).catch(() => 'MANAGE'));
  }
  return perms.get(key);
}

// Disables els (an element, or every match of selector under a root) unless the user holds
// `need` on the resource.
export function gate(target, type, id, need, selector) {
  permissionOn(type, id).then((p) => {
    if ((LEVEL[p] ?? 0) >= LEVEL[need]) return;
    const els = selector ? target.querySelectorAll(selector) : [target];
    for (const el of els) {
      el.disabled = true;
      el.dataset.denied = '1';
      el.title = `You need ${need} on this ${type.replace('_', ' ')} (you have ${p}).`;
    }
  });
  return target;
}
