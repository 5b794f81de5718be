// The model registry: models list with search, a model page (versions with stage,
// aliases, tags and source run; the audit log), and a version page. Stage transitions and
// alias changes ask for confirmation first.
import { h, clear, fmtTime, fmtNum, kvTable, section, table, empty, spinner, showError, toast, modal, confirmAction,
  promptText, debounce } from './dom.js';
import { mlflow, mltrack, quote, pool, fetchText } from './api.js';
import { gate } from './access.js';

// What changes a model or its versions: greyed out without EDIT on the model.
const EDIT_CONTROLS = 'select.stage-select, section.card button, .toolbar button, table button';
import { setQuery, parseJsonish } from './url.js';
import { runHref, versionModelId } from './run.js';
import { parseMLmodel, schemaTable } from './artifacts.js';
import { signatureSection } from './models.js';

const STAGES = ['None', 'Staging', 'Production', 'Archived'];

function stageBadge(s) {
  const st = s || 'None';
  return h('span', { class: `badge stage-${st.toLowerCase()}` }, st);
}

export async function modelsPage(root, q) {
  document.title = 'Models · mltrack';
  const state = { q: q.get('q') || '', token: null, items: [] };
  const search = h('input', { type: 'search', class: 'grow', placeholder: 'Search models by name', 'aria-label': 'Search models', value: state.q });
  const list = h('div');
  const more = h('button', { hidden: true, onclick: () => load(false) }, 'Load more');
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Registered models')), h('div', { class: 'toolbar' }, search), list, more);
  search.addEventListener('input', debounce(() => { state.q = search.value.trim(); setQuery({ q: state.q }); load(true); }, 250));

  async function load(reset) {
    if (reset) {
      state.items = [];
      state.token = null;
      clear(list).appendChild(spinner());
    }
    try {
      const r = await mlflow('GET', 'registered-models/search', {
        filter: state.q ? `name ILIKE ${quote(`%${state.q}%`)}` : undefined,
        max_results: 100, page_token: state.token || undefined, order_by: 'name ASC',
      });
      state.items.push(...(r.registered_models || []));
      state.token = r.next_page_token || null;
      more.hidden = !state.token;
      clear(list).appendChild(state.items.length
        ? table(['Name', 'Latest versions', 'Aliases', 'Last modified', 'Description'], state.items.map((m) => h('tr', null,
          h('td', null, h('a', { href: `#/models/${encodeURIComponent(m.name)}`, class: 'model-link' }, m.name)),
          h('td', null, (m.latest_versions || []).map((v) => h('span', { class: 'ver' },
            h('a', { href: `#/models/${encodeURIComponent(m.name)}/versions/${encodeURIComponent(v.version)}` }, `v${v.version}`), ' ', stageBadge(v.current_stage)))),
          h('td', null, (m.aliases || []).map((a) => h('span', { class: 'badge alias' }, `@${a.alias} → v${a.version}`))),
          h('td', null, fmtTime(m.last_updated_timestamp)),
          h('td', { class: 'muted' }, m.description || ''))))
        : empty('No registered models match.'));
    } catch (e) {
      clear(list);
      showError(e);
    }
  }
  await load(true);
}

// A stage change: confirm (with the archive option MLflow offers), then transition.
async function transition(name, version, from, to) {
  const archive = h('input', { type: 'checkbox' });
  const body = [h('p', null, `Move version ${version} of "${name}" from ${from || 'None'} to ${to}?`),
    (to === 'Staging' || to === 'Production') ? h('label', null, archive, ` Archive the versions now in ${to}`) : null];
  const ok = await modal('Change stage', body, [{ label: 'Cancel', value: false }, { label: `Move to ${to}`, value: true, primary: true }]);
  if (!ok) return false;
  await mlflow('POST', 'model-versions/transition-stage', { name, version: String(version), stage: to, archive_existing_versions: archive.checked });
  toast(`Version ${version} is now in ${to}`);
  return true;
}

async function setAlias(name, version) {
  const alias = await promptText(`Add an alias to version ${version}`, 'Alias (e.g. champion)', '');
  if (alias === null || !alias.trim()) return false;
  const a = alias.trim();
  if (!(await confirmAction('Set alias', `Point the alias "@${a}" of "${name}" at version ${version}? If it points at another version now, it moves.`, 'Set alias'))) return false;
  await mlflow('POST', 'registered-models/alias', { name, alias: a, version: String(version) });
  toast(`@${a} → version ${version}`);
  return true;
}

async function deleteAlias(name, alias) {
  if (!(await confirmAction('Remove alias', `Remove the alias "@${alias}" from "${name}"?`, 'Remove', true))) return false;
  await mlflow('DELETE', 'registered-models/alias', { name, alias });
  toast(`Removed @${alias}`);
  return true;
}

function stageSelect(name, v, reload) {
  const sel = h('select', { 'aria-label': `Stage of version ${v.version}`, class: 'stage-select' },
    STAGES.map((s) => h('option', { value: s, selected: s === (v.current_stage || 'None') }, s)));
  sel.addEventListener('change', async () => {
    const to = sel.value;
    try {
      if (await transition(name, v.version, v.current_stage, to)) reload();
      else sel.value = v.current_stage || 'None';
    } catch (e) {
      sel.value = v.current_stage || 'None';
      showError(e);
    }
  });
  return sel;
}

function tagsEditor(tags, onSet, onDelete) {
  const rows = (tags || []).map((t) => h('tr', null, h('td', null, t.key), h('td', { class: 'mono' }, t.value),
    h('td', null, h('button', { class: 'small danger', onclick: () => onDelete(t.key) }, 'Delete'))));
  const k = h('input', { type: 'text', placeholder: 'key', 'aria-label': 'Tag key' });
  const v = h('input', { type: 'text', placeholder: 'value', 'aria-label': 'Tag value' });
  return [rows.length ? table(['Key', 'Value', ''], rows) : empty('No tags.'),
    h('div', { class: 'toolbar' }, k, v, h('button', { onclick: () => k.value.trim() && onSet(k.value.trim(), v.value) }, 'Add tag'))];
}

function auditSection(name, version) {
  const el = h('div', null, spinner());
  mltrack('registry/audit', { name, max_results: 200 }).then((r) => {
    let ev = r.events || [];
    if (version !== undefined) ev = ev.filter((e) => e.version === null || String(e.version) === String(version));
    clear(el).appendChild(ev.length
      ? table(['Time', 'User', 'Action', 'Version', 'Alias', 'From', 'To'], ev.map((e) => h('tr', null,
        h('td', null, fmtTime(e.timestamp)), h('td', null, e.user_id || ''), h('td', null, e.action),
        h('td', null, e.version ?? ''), h('td', null, e.alias || ''), h('td', { class: 'mono' }, e.old_value ?? ''), h('td', { class: 'mono' }, e.new_value ?? ''))), { class: 'grid audit' })
      : empty('No changes recorded.'));
  }).catch((e) => clear(el).appendChild(empty(e.message)));
  return section('Audit log', el);
}

export async function modelPage(root, name) {
  document.title = `${name} · mltrack`;
  root.appendChild(spinner());
  const [{ registered_model: m }, vs] = await Promise.all([
    mlflow('GET', 'registered-models/get', { name }),
    mlflow('GET', 'model-versions/search', { filter: `name = ${quote(name)}`, max_results: 1000, order_by: 'version_number DESC' }),
  ]);
  clear(root);
  const reload = () => { clear(root); modelPage(root, name).catch(showError); };
  const aliasesByVersion = {};
  for (const a of m.aliases || []) (aliasesByVersion[a.version] = aliasesByVersion[a.version] || []).push(a.alias);
  const versions = (vs.model_versions || []).sort((a, b) => Number(b.version) - Number(a.version));

  root.appendChild(h('div', { class: 'page-head' },
    h('div', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models')),
    h('h1', null, m.name)));
  root.appendChild(section('Overview', kvTable([
    ['Created', fmtTime(m.creation_timestamp)],
    ['Last modified', fmtTime(m.last_updated_timestamp)],
    ['Description', m.description || h('span', { class: 'muted' }, 'None')],
  ]), h('button', { class: 'small', onclick: async () => {
    const d = await promptText('Description', 'Description', m.description || '', true);
    if (d === null) return;
    try { await mlflow('PATCH', 'registered-models/update', { name, description: d }); reload(); } catch (e) { showError(e); }
  } }, 'Edit description')));

  const picked = new Set();
  const compareBtn = h('button', { disabled: true, onclick: () => {
    const runs = Object.fromEntries(versions.filter((v) => picked.has(v.version)).map((v) => [v.version, v.run_id || null]));
    location.hash = `#/compare-model-versions?name=${encodeURIComponent(JSON.stringify(name))}&runs=${encodeURIComponent(JSON.stringify(runs))}`;
  } }, 'Compare');
  const pickBox = (v) => h('input', { type: 'checkbox', 'aria-label': `Select version ${v.version}`, onchange: (e) => {
    if (e.target.checked) picked.add(v.version); else picked.delete(v.version);
    compareBtn.disabled = picked.size < 2;
    compareBtn.textContent = picked.size ? `Compare (${picked.size})` : 'Compare';
  } });
  root.appendChild(section(`Versions (${versions.length})`, versions.length ? [h('div', { class: 'toolbar' }, compareBtn),
    table(['', 'Version', 'Stage', 'Aliases', 'Status', 'Source run', 'Created', ''], versions.map((v) => h('tr', { dataset: { version: v.version } },
      h('td', null, pickBox(v)),
      h('td', null, h('a', { href: `#/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(v.version)}` }, `Version ${v.version}`)),
      h('td', null, stageSelect(name, v, reload)),
      h('td', null, (aliasesByVersion[v.version] || []).map((a) => h('span', { class: 'badge alias' }, `@${a}`,
        h('button', { class: 'link x', title: `Remove @${a}`, onclick: async () => { try { if (await deleteAlias(name, a)) reload(); } catch (e) { showError(e); } } }, '×')))),
      h('td', null, v.status || ''),
      h('td', null, v.run_id ? h('a', { href: `#/runs/${encodeURIComponent(v.run_id)}` }, v.run_id.slice(0, 12)) : ''),
      h('td', null, fmtTime(v.creation_timestamp)),
      h('td', null, h('button', { class: 'small', onclick: async () => { try { if (await setAlias(name, v.version)) reload(); } catch (e) { showError(e); } } }, 'Add alias')))))]
    : empty('No versions yet.')));

  root.appendChild(section('Tags', tagsEditor(m.tags,
    async (k, v) => { try { await mlflow('POST', 'registered-models/set-tag', { name, key: k, value: v }); reload(); } catch (e) { showError(e); } },
    async (k) => { try { await mlflow('DELETE', 'registered-models/delete-tag', { name, key: k }); reload(); } catch (e) { showError(e); } })));
  root.appendChild(auditSection(name));
  gate(root, 'registered_model', name, 'EDIT', EDIT_CONTROLS);
}

export async function versionPage(root, name, version) {
  document.title = `${name} v${version} · mltrack`;
  root.appendChild(spinner());
  const [{ model_version: v }, { registered_model: m }] = await Promise.all([
    mlflow('GET', 'model-versions/get', { name, version }),
    mlflow('GET', 'registered-models/get', { name }),
  ]);
  clear(root);
  const reload = () => { clear(root); versionPage(root, name, version).catch(showError); };
  const aliases = (m.aliases || []).filter((a) => String(a.version) === String(version)).map((a) => a.alias);
  // The logged model this version was registered from (MLflow 3: models:/<model_id>).
  const mid = versionModelId(v);
  const sourceModel = mid ? h('a', { class: 'source-model', href: '#/' }, mid) : '—';
  if (mid) {
    mlflow('GET', `logged-models/${encodeURIComponent(mid)}`).then((r) => {
      sourceModel.href = `#/experiments/${encodeURIComponent(r.model.info.experiment_id)}/models/${encodeURIComponent(mid)}`;
      sourceModel.textContent = `${r.model.info.name} (${mid})`;
    }).catch(() => {});
  }
  root.appendChild(h('div', { class: 'page-head' },
    h('div', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / ', h('a', { href: `#/models/${encodeURIComponent(name)}` }, name)),
    h('h1', null, `${name} · version ${version}`)));
  root.appendChild(section('Overview', kvTable([
    ['Stage', stageSelect(name, v, reload)],
    ['Aliases', h('span', null, aliases.map((a) => h('span', { class: 'badge alias' }, `@${a}`,
      h('button', { class: 'link x', title: `Remove @${a}`, onclick: async () => { try { if (await deleteAlias(name, a)) reload(); } catch (e) { showError(e); } } }, '×'))),
    h('button', { class: 'small', onclick: async () => { try { if (await setAlias(name, version)) reload(); } catch (e) { showError(e); } } }, 'Add alias'))],
    ['Status', v.status || ''],
    ['Source run', v.run_id ? h('a', { href: `#/runs/${encodeURIComponent(v.run_id)}` }, v.run_id) : '—'],
    ['Source', h('span', { class: 'mono' }, v.source || '')],
    ['Source model', sourceModel],
    ['Created', fmtTime(v.creation_timestamp)],
    ['Last modified', fmtTime(v.last_updated_timestamp)],
    ['User', v.user_id || ''],
    ['Description', v.description || h('span', { class: 'muted' }, 'None')],
  ].filter((r) => r[1] !== null)), h('button', { class: 'small', onclick: async () => {
    const d = await promptText('Description', 'Description', v.description || '', true);
    if (d === null) return;
    try { await mlflow('PATCH', 'model-versions/update', { name, version, description: d }); reload(); } catch (e) { showError(e); }
  } }, 'Edit description')));
  const sigSlot = h('div', null, section('Signature', spinner()));
  root.appendChild(sigSlot);
  versionMLmodel(name, version).then((t) => clear(sigSlot).appendChild(signatureSection(t).el))
    .catch(() => clear(sigSlot).appendChild(section('Signature', empty('No MLmodel file found for this version.'))));
  root.appendChild(section('Tags', tagsEditor(v.tags,
    async (k, val) => { try { await mlflow('POST', 'model-versions/set-tag', { name, version, key: k, value: val }); reload(); } catch (e) { showError(e); } },
    async (k) => { try { await mlflow('DELETE', 'model-versions/delete-tag', { name, version, key: k }); reload(); } catch (e) { showError(e); } })));
  root.appendChild(auditSection(name, version));
  gate(root, 'registered_model', name, 'EDIT', EDIT_CONTROLS);
}

function versionMLmodel(name, version) {
  return fetchText(`model-versions/get-artifact?name=${encodeURIComponent(name)}&version=${encodeURIComponent(version)}&path=MLmodel`, 1024 * 1024)
    .then((r) => r.text);
}

// Versions side by side: what they are (stage, aliases, source run and model), the params
// and latest metrics of their source runs, and their signatures. MLflow's URL:
// #/compare-model-versions?name="<model>"&runs={"<version>":"<run id>",...}.
export async function compareVersionsPage(root, q) {
  let name = parseJsonish(q.get('name'));
  name = typeof name === 'string' ? decodeURIComponent(name) : String(name ?? '');
  const runs = parseJsonish(q.get('runs'));
  const versions = runs && typeof runs === 'object' ? Object.keys(runs) : [];
  document.title = `Compare versions of ${name} · mltrack`;
  if (versions.length < 1) {
    root.appendChild(h('p', null, 'Tick two or more versions on a model page to compare them.'));
    return;
  }
  root.appendChild(spinner());
  const vs = await pool(versions, 4, (v) => mlflow('GET', 'model-versions/get', { name, version: v }).then((r) => r.model_version));
  const { registered_model: m } = await mlflow('GET', 'registered-models/get', { name });
  const runData = await pool(vs, 4, (v) => (v.run_id ? mlflow('GET', 'runs/get', { run_id: v.run_id }).then((r) => r.run).catch(() => null) : null));
  const sigs = await pool(vs, 4, (v) => versionMLmodel(name, v.version).then((t) => parseMLmodel(t)).catch(() => null));
  clear(root);
  root.appendChild(h('div', { class: 'page-head' },
    h('div', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / ', h('a', { href: `#/models/${encodeURIComponent(name)}` }, name)),
    h('h1', null, `Comparing ${vs.length} versions of ${name}`)));
  const aliases = (ver) => (m.aliases || []).filter((a) => String(a.version) === String(ver)).map((a) => `@${a.alias}`).join(' ');
  const head = h('thead', null, h('tr', null, h('th', null, ''), vs.map((v) => h('th', null,
    h('a', { href: `#/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(v.version)}` }, `Version ${v.version}`)))));
  const rows = [];
  const group = (label) => rows.push(h('tr', { class: 'group' }, h('th', { colSpan: vs.length + 1 }, label)));
  const row = (label, cells) => {
    const texts = cells.map((c) => (c instanceof Node ? c.textContent : String(c ?? '')));
    const diff = new Set(texts).size > 1;
    rows.push(h('tr', { class: diff ? 'diff' : '' }, h('th', { class: 'key' }, label), cells.map((c) => h('td', { class: 'mono' }, c ?? ''))));
  };
  group('Version');
  row('Stage', vs.map((v) => v.current_stage || 'None'));
  row('Aliases', vs.map((v) => aliases(v.version)));
  row('Created', vs.map((v) => fmtTime(v.creation_timestamp)));
  row('Source run', vs.map((v, i) => (v.run_id ? h('a', { href: runData[i] ? runHref(runData[i].info.experiment_id, v.run_id) : `#/runs/${encodeURIComponent(v.run_id)}` },
    runData[i] ? runData[i].info.run_name || v.run_id : v.run_id) : '')));
  row('Source model', vs.map((v) => versionModelId(v) || ''));
  const kv = (i, what) => Object.fromEntries(((runData[i] && runData[i].data[what]) || []).map((x) => [x.key, x.value]));
  const params = vs.map((_, i) => kv(i, 'params'));
  const metrics = vs.map((_, i) => kv(i, 'metrics'));
  const pkeys = [...new Set(params.flatMap(Object.keys))].sort();
  const mkeys = [...new Set(metrics.flatMap(Object.keys))].sort();
  group(`Parameters (${pkeys.length})`);
  for (const k of pkeys) row(k, params.map((p) => p[k]));
  group(`Metrics (${mkeys.length})`);
  for (const k of mkeys) row(k, metrics.map((x) => (k in x ? fmtNum(x[k]) : '')));
  const specText = (spec) => (Array.isArray(spec) ? spec.map((c) => `${c.name ?? ''}${c.name ? ': ' : ''}${c.type === 'tensor' && c['tensor-spec'] ? `${c['tensor-spec'].dtype}[${(c['tensor-spec'].shape || []).join(',')}]` : c.type}`).join('\n') : '—');
  group('Schema');
  row('Inputs', sigs.map((s) => h('span', { class: 'pre' }, s && s.signature ? specText(s.signature.inputs) : '—')));
  row('Outputs', sigs.map((s) => h('span', { class: 'pre' }, s && s.signature ? specText(s.signature.outputs) : '—')));
  row('Flavors', sigs.map((s) => (s ? s.flavors.join(', ') : '')));
  root.appendChild(section('Side by side (rows that differ are highlighted)', h('div', { class: 'compare-table-wrap' },
    h('table', { class: 'grid compare versions-compare' }, head, h('tbody', null, rows)))));
  root.appendChild(section('Input schemas', h('div', { class: 'row-n' }, vs.map((v, i) => h('div', null, h('h4', null, `Version ${v.version}`),
    sigs[i] && sigs[i].signature ? schemaTable(sigs[i].signature.inputs) : empty('No signature.'))))));
}
