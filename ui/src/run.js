// The run page, in MLflow's tabs: Overview (details, description, parameters, metrics with
// their latest, lowest and highest value, tags, datasets, logged models, registered
// versions), Model metrics and System metrics (charts), and Artifacts (the run's files
// and its logged models' files, with previews). The tab is part of the URL, as in MLflow
// (#/experiments/<id>/runs/<run_id>/model-metrics), and so are the chart options.
import { h, clear, fmtTime, fmtDuration, fmtNum, kvTable, section, table, empty, spinner, showError, toast,
  promptText, confirmAction, copyButton, tabs } from './dom.js';
import { mlflow, mltrack, quote, pool } from './api.js';
import { MetricChart, chartControls } from './chart.js';
import { gate } from './access.js';
import { artifactBrowser, runFiles, modelFiles } from './artifacts.js';
import { setPath, setQuery, hashParts } from './url.js';

const CHARTS_AT_ONCE = 8;
const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'model-metrics', label: 'Model metrics' },
  { id: 'system-metrics', label: 'System metrics' },
  { id: 'artifacts', label: 'Artifacts' },
];
const isSystem = (k) => k.startsWith('system/');

export function runHref(expId, runId, tab) {
  return `#/experiments/${encodeURIComponent(expId)}/runs/${encodeURIComponent(runId)}${tab && tab !== 'overview' ? `/${tab}` : ''}`;
}

// A model version's logged model: its model_id, or the id in a models:/<id> source.
export function versionModelId(v) {
  if (v.model_id) return v.model_id;
  const m = /^models:\/(m-[0-9a-f]+)$/.exec(v.source || '');
  return m ? m[1] : null;
}

// Aliases per "name\0version" for the models of the given versions (model-versions/search
// does not return them; registered-models/get does).
export async function aliasesOf(versions) {
  const names = [...new Set(versions.map((v) => v.name))];
  const out = new Map();
  await pool(names, 4, async (name) => {
    try {
      const { registered_model: m } = await mlflow('GET', 'registered-models/get', { name });
      for (const a of m.aliases || []) {
        const k = `${name}\u0000${a.version}`;
        out.set(k, [...(out.get(k) || []), a.alias]);
      }
    } catch { /* a model deleted meanwhile has no aliases */ }
  });
  return (v) => (v.aliases && v.aliases.length ? v.aliases : out.get(`${v.name}\u0000${v.version}`) || []);
}

// opts: {tab, artifactPath, model} from the route.
export async function runPage(root, runId, q, opts = {}) {
  root.appendChild(spinner());
  const { run } = await mlflow('GET', 'runs/get', { run_id: runId });
  clear(root);
  const info = run.info;
  const expId = info.experiment_id;
  const tags = Object.fromEntries((run.data.tags || []).map((t) => [t.key, t.value]));
  const name = info.run_name || tags['mlflow.runName'] || info.run_id;
  document.title = `${name} · mltrack`;
  const charts = [];
  const cleanups = [];
  let tab = TABS.some((t) => t.id === opts.tab) ? opts.tab : (opts.tab === 'artifactPath' ? 'artifacts' : 'overview');

  // ---- head ----
  const nameEl = h('span', { class: 'run-name' }, name);
  const expLink = h('a', { href: `#/experiments/${encodeURIComponent(expId)}` }, `Experiment ${expId}`);
  mlflow('GET', 'experiments/get', { experiment_id: expId })
    .then((r) => { expLink.textContent = r.experiment.name; }).catch(() => {});
  const running = info.status === 'RUNNING';
  const live = h('input', { type: 'checkbox', checked: running && q.get('refresh') !== 'off', 'aria-label': 'Auto-refresh' });
  root.appendChild(h('div', { class: 'page-head' },
    h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / ', expLink),
    h('h1', null, nameEl, ' ', gate(h('button', { class: 'small needs-edit', onclick: rename }, 'Rename'),
      'experiment', expId, 'EDIT'),
      ' ', h('span', { class: `badge status status-${String(info.status).toLowerCase()}` }, info.status),
      info.lifecycle_stage === 'deleted' ? h('span', { class: 'badge gray' }, 'deleted') : null),
    h('div', { class: 'muted small-text run-id-line' }, 'Run ID ', h('span', { class: 'mono' }, info.run_id), ' ',
      copyButton(info.run_id, 'run ID'),
      running ? h('label', { class: 'live' }, ' ', live, ' Auto-refresh while running') : null)));

  async function rename() {
    const v = await promptText('Rename run', 'Run name', nameEl.textContent);
    if (v === null || !v.trim()) return;
    try {
      await mlflow('POST', 'runs/update', { run_id: runId, run_name: v.trim() });
      nameEl.textContent = v.trim();
      toast('Renamed');
    } catch (e) {
      showError(e);
    }
  }

  const tabBar = tabs(TABS, tab, (t) => { showTab(t, true); });
  const panes = Object.fromEntries(TABS.map((t) => [t.id, h('div', { class: 'tab-pane', dataset: { pane: t.id }, hidden: t.id !== tab })]));
  root.append(tabBar.el, ...Object.values(panes));
  const built = new Set();
  function showTab(t, push) {
    tab = t;
    tabBar.select(t);
    for (const [id, p] of Object.entries(panes)) p.hidden = id !== t;
    if (push) setPath(runHref(expId, runId, t).slice(1), true);
    if (!built.has(t)) {
      built.add(t);
      ({ overview: buildOverview, 'model-metrics': () => buildCharts(panes['model-metrics'], false),
        'system-metrics': () => buildCharts(panes['system-metrics'], true), artifacts: buildArtifacts })[t]();
    }
  }

  const metrics = (run.data.metrics || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  // Logged models of this run: MLflow 3 keeps their files apart from the run's artifacts.
  const modelsP = mlflow('POST', 'logged-models/search', { experiment_ids: [expId], filter: `source_run_id = ${quote(runId)}`, max_results: 100 })
    .then((r) => r.models || []).catch(() => []);
  const versionsP = mlflow('GET', 'model-versions/search', { filter: `run_id = ${quote(runId)}`, max_results: 200 })
    .then((r) => r.model_versions || []);

  function buildOverview() {
    const pane = panes.overview;
    const top = h('div', { class: 'row2' });
    pane.appendChild(top);
    const end = info.end_time || (running ? Date.now() : null);
    const parent = tags['mlflow.parentRunId'];
    const src = tags['mlflow.source.name'];
    const commit = tags['mlflow.source.git.commit'];
    const childrenEl = h('span', { class: 'muted' }, '…');
    top.appendChild(section('Overview', kvTable([
      ['Run ID', h('span', null, h('span', { class: 'mono' }, info.run_id), ' ', copyButton(info.run_id, 'run ID'))],
      ['Status', h('span', { class: `status status-${String(info.status).toLowerCase()}` }, info.status)],
      ['Started', fmtTime(info.start_time)],
      ['Ended', info.end_time ? fmtTime(info.end_time) : '—'],
      ['Duration', end ? fmtDuration(end - info.start_time) : '—'],
      ['User', info.user_id || tags['mlflow.user'] || '—'],
      ['Source', src ? `${src}${tags['mlflow.source.type'] ? ` (${tags['mlflow.source.type']})` : ''}` : '—'],
      commit ? ['Git commit', h('span', { class: 'mono' }, commit)] : null,
      parent ? ['Parent run', h('a', { href: runHref(expId, parent), class: 'parent-link' }, parent)] : null,
      ['Child runs', childrenEl],
      ['Artifact URI', h('span', { class: 'mono' }, info.artifact_uri || '')],
    ])));
    mlflow('POST', 'runs/search', { experiment_ids: [expId], filter: `tags.mlflow.parentRunId = ${quote(runId)}`, max_results: 1000, run_view_type: 'ALL' })
      .then((r) => {
        const kids = r.runs || [];
        clear(childrenEl);
        childrenEl.className = '';
        if (!kids.length) return childrenEl.append('—');
        kids.forEach((k, i) => childrenEl.append(i ? ', ' : '', h('a', { href: runHref(expId, k.info.run_id), class: 'child-link' }, k.info.run_name || k.info.run_id)));
      }).catch(() => { childrenEl.textContent = '—'; });

    const note = tags['mlflow.note.content'] || '';
    const noteEl = h('div', { class: 'note' }, note || h('span', { class: 'muted' }, 'No description.'));
    top.appendChild(section('Description', noteEl, gate(h('button', { class: 'small needs-edit', onclick: async () => {
      const v = await promptText('Description', 'Description (plain text)', tags['mlflow.note.content'] || '', true);
      if (v === null) return;
      try {
        await mlflow('POST', 'runs/set-tag', { run_id: runId, key: 'mlflow.note.content', value: v });
        tags['mlflow.note.content'] = v;
        clear(noteEl).append(v || h('span', { class: 'muted' }, 'No description.'));
        toast('Saved');
      } catch (e) {
        showError(e);
      }
    } }, 'Edit description'), 'experiment', expId, 'EDIT')));

    // ---- metrics: latest, min, max ----
    const cells = new Map();
    const metricRows = metrics.map((m) => {
      const c = { min: h('td', { class: 'num' }, '…'), max: h('td', { class: 'num' }, '…'), pts: h('td', { class: 'num muted' }, '') };
      cells.set(m.key, c);
      return h('tr', { dataset: { key: m.key } },
        h('td', null, h('a', { href: runHref(expId, runId, isSystem(m.key) ? 'system-metrics' : 'model-metrics') }, m.key)),
        h('td', { class: 'num latest' }, fmtNum(m.value)), c.min, c.max, h('td', { class: 'num' }, String(m.step)), c.pts, h('td', null, fmtTime(m.timestamp)));
    });
    pane.appendChild(section(`Metrics (${metrics.length})`, metrics.length
      ? table(['Name', 'Latest', 'Min', 'Max', 'Step', 'Points', 'Time'], metricRows, { class: 'grid metrics' })
      : empty('No metrics.')));
    if (metrics.length) {
      mltrack('metrics/summary', { run_id: runId }).then((r) => {
        for (const s of r.metrics || []) {
          const c = cells.get(s.key);
          if (!c) continue;
          c.min.textContent = s.min ? fmtNum(s.min.value) : '';
          c.min.title = s.min ? `at step ${s.min.step}` : '';
          c.max.textContent = s.max ? fmtNum(s.max.value) : '';
          c.max.title = s.max ? `at step ${s.max.step}` : '';
          c.pts.textContent = s.points.toLocaleString('en-US');
        }
      }).catch((e) => { for (const c of cells.values()) c.min.textContent = c.max.textContent = ''; showError(e); });
    }

    const params = (run.data.params || []).slice().sort((a, b) => a.key.localeCompare(b.key));
    pane.appendChild(section(`Parameters (${params.length})`, params.length
      ? table(['Name', 'Value'], params.map((p) => h('tr', null, h('td', null, p.key), h('td', { class: 'mono' }, p.value))), { class: 'grid params' })
      : empty('No parameters.')));
    pane.appendChild(tagsSection());

    // ---- datasets ----
    const inputs = (run.inputs && run.inputs.dataset_inputs) || [];
    pane.appendChild(section(`Datasets (${inputs.length})`, inputs.length
      ? table(['Name', 'Digest', 'Source type', 'Context', 'Source'], inputs.map((d) => {
        const ctx = (d.tags || []).find((t) => t.key === 'mlflow.data.context');
        return h('tr', null, h('td', null, d.dataset.name), h('td', { class: 'mono' }, d.dataset.digest),
          h('td', null, d.dataset.source_type || ''), h('td', null, ctx ? ctx.value : ''), h('td', { class: 'mono small-text' }, d.dataset.source || ''));
      }))
      : empty('No datasets.')));

    // ---- logged models and registry links ----
    const modelsEl = h('div', null, spinner());
    const regEl = h('div', null, spinner());
    pane.appendChild(section('Logged models', modelsEl));
    pane.appendChild(section('Registered model versions', regEl));
    Promise.all([modelsP, versionsP.catch(() => [])]).then(([ms, vs]) => {
      clear(modelsEl).appendChild(ms.length
        ? table(['Name', 'Model ID', 'Flavor', 'Status', 'Created', 'Registered as', ''], ms.map((m) => {
          const regs = vs.filter((v) => versionModelId(v) === m.info.model_id);
          const flavor = (m.info.tags || []).find((t) => t.key === 'mlflow.flavor');
          return h('tr', { dataset: { model: m.info.model_id } },
            h('td', null, h('a', { href: `#/experiments/${encodeURIComponent(expId)}/models/${encodeURIComponent(m.info.model_id)}`, class: 'logged-model-link' }, m.info.name)),
            h('td', { class: 'mono' }, m.info.model_id),
            h('td', null, m.info.model_type || (flavor ? flavor.value : '')),
            h('td', null, (m.info.status || '').replace(/^LOGGED_MODEL_/, '')),
            h('td', null, fmtTime(m.info.creation_timestamp_ms)),
            h('td', null, regs.map((v) => h('a', { class: 'ver', href: `#/models/${encodeURIComponent(v.name)}/versions/${encodeURIComponent(v.version)}` }, `${v.name} v${v.version}`))),
            h('td', null, h('a', { href: `${runHref(expId, runId, 'artifacts')}?model=${encodeURIComponent(m.info.model_id)}`, class: 'button small' }, 'Files')));
        }))
        : empty('No logged models.'));
    });
    versionsP.then(async (vs) => {
      const aliases = await aliasesOf(vs);
      clear(regEl).appendChild(vs.length
        ? table(['Model', 'Version', 'Stage', 'Aliases', 'Source model'], vs.map((v) => {
          const mid = versionModelId(v);
          return h('tr', { dataset: { version: `${v.name}/${v.version}` } },
            h('td', null, h('a', { href: `#/models/${encodeURIComponent(v.name)}` }, v.name)),
            h('td', null, h('a', { href: `#/models/${encodeURIComponent(v.name)}/versions/${encodeURIComponent(v.version)}` }, `Version ${v.version}`)),
            h('td', null, v.current_stage || ''),
            h('td', { class: 'aliases' }, aliases(v).map((a) => h('span', { class: 'badge alias' }, `@${a}`))),
            h('td', null, mid ? h('a', { href: `#/experiments/${encodeURIComponent(expId)}/models/${encodeURIComponent(mid)}` }, mid) : ''));
        }))
        : empty('No registered versions come from this run.'));
    }).catch((e) => { clear(regEl).appendChild(empty(e.message)); });
  }

  function tagsSection() {
    const tagsBody = h('tbody');
    const showSys = h('input', { type: 'checkbox' });
    function renderTags() {
      clear(tagsBody);
      const keys = Object.keys(tags).sort().filter((k) => showSys.checked || !k.startsWith('mlflow.'));
      if (!keys.length) tagsBody.appendChild(h('tr', null, h('td', { colSpan: 3, class: 'muted' }, 'No tags.')));
      for (const k of keys) {
        tagsBody.appendChild(h('tr', null, h('td', null, k), h('td', { class: 'mono pre' }, tags[k]),
          h('td', { class: 'actions' },
            h('button', { class: 'small needs-edit', onclick: () => editTag(k) }, 'Edit'),
            h('button', { class: 'small danger needs-edit', onclick: () => deleteTag(k) }, 'Delete'))));
      }
    }
    async function editTag(k) {
      const v = await promptText(`Tag ${k}`, 'Value', tags[k]);
      if (v === null) return;
      try {
        await mlflow('POST', 'runs/set-tag', { run_id: runId, key: k, value: v });
        tags[k] = v;
        renderTags();
      } catch (e) {
        showError(e);
      }
    }
    async function deleteTag(k) {
      if (!(await confirmAction('Delete tag', `Delete the tag "${k}"?`, 'Delete', true))) return;
      try {
        await mlflow('POST', 'runs/delete-tag', { run_id: runId, key: k });
        delete tags[k];
        renderTags();
      } catch (e) {
        showError(e);
      }
    }
    const newKey = h('input', { type: 'text', placeholder: 'key', 'aria-label': 'New tag key' });
    const newVal = h('input', { type: 'text', placeholder: 'value', 'aria-label': 'New tag value' });
    const addTag = async () => {
      const k = newKey.value.trim();
      if (!k) return showError(new Error('A tag needs a key.'));
      try {
        await mlflow('POST', 'runs/set-tag', { run_id: runId, key: k, value: newVal.value });
        tags[k] = newVal.value;
        newKey.value = newVal.value = '';
        renderTags();
      } catch (e) {
        showError(e);
      }
    };
    showSys.addEventListener('change', renderTags);
    renderTags();
    return gate(section('Tags',
      h('label', { class: 'toolbar' }, showSys, ' Show system tags (mlflow.*)'),
      h('table', { class: 'grid tags' }, h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', null, 'Value'), h('th', null, ''))), tagsBody),
      h('div', { class: 'toolbar' }, newKey, newVal, h('button', { class: 'needs-edit', onclick: addTag }, 'Add tag'))),
      'experiment', info.experiment_id, 'EDIT', '.needs-edit');
  }

  // ---- charts (model metrics or system metrics) ----
  const chartState = { xMode: q.get('x') || 'step', log: q.get('log') === '1', smoothing: Number(q.get('smoothing')) || 0 };
  function buildCharts(pane, system) {
    const ms = metrics.filter((m) => isSystem(m.key) === system);
    if (!ms.length) {
      pane.appendChild(section(system ? 'System metrics' : 'Model metrics', empty(system ? 'No system metrics (MLflow logs them as system/... when system metrics logging is on).' : 'No metrics.')));
      return;
    }
    const chartsEl = h('div', { class: 'charts' });
    const wanted = q.get('metrics') ? q.get('metrics').split(',') : null;
    const picked = new Set((wanted ? ms.filter((m) => wanted.includes(m.key)) : ms.slice(0, CHARTS_AT_ONCE)).map((m) => m.key));
    const combine = h('input', { type: 'checkbox', checked: q.get('combine') === '1' });
    const mine = [];
    const pick = h('div', { class: 'toolbar wrap metric-pick' }, ms.map((m) => h('label', null,
      h('input', { type: 'checkbox', checked: picked.has(m.key), 'aria-label': `Chart ${m.key}`, onchange: (e) => {
        if (e.target.checked) picked.add(m.key); else picked.delete(m.key);
        setQuery({ metrics: [...picked].join(',') });
        draw();
      } }), ' ', m.key)));
    pane.appendChild(section(system ? 'System metrics' : 'Model metrics', pick,
      chartControls(chartState, (o) => {
        setQuery({ x: chartState.xMode === 'step' ? null : chartState.xMode, log: chartState.log ? '1' : null, smoothing: chartState.smoothing || null });
        mine.forEach((c) => c.setOptions(o));
      }),
      h('label', { class: 'toolbar' }, combine, ' Plot the checked metrics on one chart'),
      chartsEl));
    combine.addEventListener('change', () => { setQuery({ combine: combine.checked ? '1' : null }); draw(); });
    function draw() {
      mine.splice(0).forEach((c) => { c.destroy(); charts.splice(charts.indexOf(c), 1); });
      clear(chartsEl);
      const keys = ms.map((m) => m.key).filter((k) => picked.has(k));
      const mk = (series, title) => { const c = new MetricChart(chartsEl, series, { ...chartState, title }); mine.push(c); charts.push(c); };
      if (combine.checked) { if (keys.length) mk(keys.map((k) => ({ runId, key: k, label: k })), keys.join(', ')); }
      else keys.forEach((k) => mk([{ runId, key: k, label: k }], k));
    }
    draw();
  }

  // ---- artifacts: the run's files, then each logged model as a folder of its own ----
  async function buildArtifacts() {
    const pane = panes.artifacts;
    const slot = h('div', null, spinner());
    pane.appendChild(section('Artifacts', slot));
    const ms = await modelsP;
    const roots = [{ label: 'run', files: runFiles(runId) },
      ...ms.map((m) => ({ label: `${m.info.name} (logged model)`, note: m.info.model_id, files: modelFiles(m.info.model_id), id: m.info.model_id }))];
    const wantModel = opts.model || q.get('model');
    let select = null;
    if (wantModel) {
      const ri = roots.findIndex((r) => r.id === wantModel);
      if (ri > 0) select = { root: ri, path: opts.artifactPath || '' };
    } else if (opts.artifactPath) select = { root: 0, path: opts.artifactPath };
    const b = artifactBrowser(roots, (ri, path) => {
      const base = `${runHref(expId, runId).slice(1)}/artifactPath/${path.split('/').map(encodeURIComponent).join('/')}`;
      const q2 = hashParts().q;
      if (ri > 0) q2.set('model', roots[ri].id); else q2.delete('model');
      setPath(`${base}?${q2}`, false);
    }, select);
    cleanups.push(b.destroy);
    clear(slot).appendChild(b.el);
  }

  showTab(tab, false);

  // ---- live: a running run's page refreshes its numbers and charts ----
  let timer = 0;
  const every = Math.max(1, Number(q.get('refresh')) || 5) * 1000;
  if (running) {
    const tick = async () => {
      if (!live.checked || document.hidden) return;
      try {
        const r = await mlflow('GET', 'runs/get', { run_id: runId });
        for (const m of r.run.data.metrics || []) {
          const row = panes.overview.querySelector(`tr[data-key="${CSS.escape(m.key)}"] td.latest`);
          if (row) row.textContent = fmtNum(m.value);
        }
        charts.forEach((c) => c.refresh());
        if (r.run.info.status !== 'RUNNING') { clearInterval(timer); toast(`The run is now ${r.run.info.status}`); }
      } catch { /* the next tick tries again */ }
    };
    timer = setInterval(tick, every);
  }

  return () => {
    clearInterval(timer);
    charts.forEach((c) => c.destroy());
    cleanups.forEach((f) => f());
  };
}
