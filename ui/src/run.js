// The run page: overview (editable name), description, parameters, metrics with charts,
// tags (editable), datasets, logged models, registered versions made from this run, and
// the artifact browser with safe previews (text in a <pre> via textContent, images via
// <img> of the get-artifact URL, anything else as a download link).
import { h, clear, fmtTime, fmtDuration, fmtNum, kvTable, section, table, empty, spinner, showError, toast,
  promptText, confirmAction } from './dom.js';
import { mlflow, artifactUrl, fetchText, quote } from './api.js';
import { MetricChart, chartControls } from './chart.js';
import { gate } from './access.js';

const TEXT_EXT = /\.(txt|log|json|ya?ml|md|py|csv|tsv|ini|cfg|toml|sh|r|sql|xml|html?|js|ts|java|c|h|cpp|go|rs|ipynb)$/i;
const TEXT_NAMES = /^(MLmodel|requirements\.txt|conda\.yaml|python_env\.yaml|LICENSE|README|Dockerfile|Makefile)$/;
const IMG_EXT = /\.(png|jpe?g|gif|svg|webp|bmp|ico)$/i;
const PREVIEW_MAX = 1024 * 1024;
const CHARTS_AT_ONCE = 8;

export async function runPage(root, runId) {
  root.appendChild(spinner());
  const { run } = await mlflow('GET', 'runs/get', { run_id: runId });
  clear(root);
  const info = run.info;
  const tags = Object.fromEntries((run.data.tags || []).map((t) => [t.key, t.value]));
  const name = info.run_name || tags['mlflow.runName'] || info.run_id;
  document.title = `${name} · mltrack`;
  const charts = [];

  // ---- head ----
  const nameEl = h('span', { class: 'run-name' }, name);
  const expLink = h('a', { href: `#/experiments/${encodeURIComponent(info.experiment_id)}` }, `Experiment ${info.experiment_id}`);
  mlflow('GET', 'experiments/get', { experiment_id: info.experiment_id })
    .then((r) => { expLink.textContent = r.experiment.name; }).catch(() => {});
  root.appendChild(h('div', { class: 'page-head' },
    h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / ', expLink),
    h('h1', null, nameEl, ' ', h('button', { class: 'small needs-edit', onclick: rename }, 'Rename'),
      info.lifecycle_stage === 'deleted' ? h('span', { class: 'badge gray' }, 'deleted') : null)));

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

  // Layout: overview and description side by side, then metrics and charts, then the rest.
  const top = h('div', { class: 'row2' });
  const paramsSlot = h('div');
  root.appendChild(top);

  // ---- overview ----
  const end = info.end_time || (info.status === 'RUNNING' ? Date.now() : null);
  const parent = tags['mlflow.parentRunId'];
  const src = tags['mlflow.source.name'];
  const commit = tags['mlflow.source.git.commit'];
  top.appendChild(section('Overview', kvTable([
    ['Run ID', h('span', { class: 'mono' }, info.run_id)],
    ['Status', h('span', { class: `status status-${String(info.status).toLowerCase()}` }, info.status)],
    ['Started', fmtTime(info.start_time)],
    ['Ended', info.end_time ? fmtTime(info.end_time) : '—'],
    ['Duration', end ? fmtDuration(end - info.start_time) : '—'],
    ['User', info.user_id || tags['mlflow.user'] || '—'],
    ['Source', src ? `${src}${tags['mlflow.source.type'] ? ` (${tags['mlflow.source.type']})` : ''}` : '—'],
    commit ? ['Git commit', h('span', { class: 'mono' }, commit)] : null,
    parent ? ['Parent run', h('a', { href: `#/runs/${encodeURIComponent(parent)}` }, parent)] : null,
    ['Artifact URI', h('span', { class: 'mono' }, info.artifact_uri || '')],
  ])));

  // ---- description ----
  const note = tags['mlflow.note.content'] || '';
  const noteEl = h('div', { class: 'note' }, note || h('span', { class: 'muted' }, 'No description.'));
  top.appendChild(section('Description', noteEl, h('button', { class: 'small needs-edit', onclick: async () => {
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
  } }, 'Edit description')));

  // ---- params ----
  const params = (run.data.params || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  paramsSlot.appendChild(section(`Parameters (${params.length})`, params.length
    ? table(['Name', 'Value'], params.map((p) => h('tr', null, h('td', null, p.key), h('td', { class: 'mono' }, p.value))), { class: 'grid params' })
    : empty('No parameters.')));

  // ---- metrics + charts ----
  const metrics = (run.data.metrics || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  const chartState = { xMode: 'step', log: false, smoothing: 0 };
  const chartsEl = h('div', { class: 'charts' });
  const picked = new Set(metrics.slice(0, CHARTS_AT_ONCE).map((m) => m.key));
  const combine = h('input', { type: 'checkbox' });
  const metricRows = metrics.map((m) => h('tr', null,
    h('td', null, h('input', { type: 'checkbox', checked: picked.has(m.key), 'aria-label': `Chart ${m.key}`, onchange: (e) => {
      if (e.target.checked) picked.add(m.key); else picked.delete(m.key);
      drawCharts();
    } })),
    h('td', null, m.key), h('td', { class: 'num' }, fmtNum(m.value)), h('td', { class: 'num' }, String(m.step)), h('td', null, fmtTime(m.timestamp))));
  root.appendChild(section(`Metrics (${metrics.length})`,
    metrics.length ? [
      table(['Chart', 'Name', 'Latest', 'Step', 'Time'], metricRows, { class: 'grid metrics' }),
      chartControls(chartState, (o) => charts.forEach((c) => c.setOptions(o))),
      h('label', { class: 'toolbar' }, combine, ' Plot the checked metrics on one chart'),
      chartsEl,
    ] : empty('No metrics.')));
  combine.addEventListener('change', drawCharts);
  root.appendChild(paramsSlot);

  function drawCharts() {
    charts.splice(0).forEach((c) => c.destroy());
    clear(chartsEl);
    const keys = metrics.map((m) => m.key).filter((k) => picked.has(k));
    if (!keys.length) return;
    const mk = (series, title) => charts.push(new MetricChart(chartsEl, series, { ...chartState, title }));
    if (combine.checked) mk(keys.map((k) => ({ runId, key: k, label: k })), keys.join(', '));
    else keys.forEach((k) => mk([{ runId, key: k, label: k }], k));
  }
  drawCharts();

  // ---- tags ----
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
  root.appendChild(section('Tags',
    h('label', { class: 'toolbar' }, showSys, ' Show system tags (mlflow.*)'),
    h('table', { class: 'grid tags' }, h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', null, 'Value'), h('th', null, ''))), tagsBody),
    h('div', { class: 'toolbar' }, newKey, newVal, h('button', { class: 'needs-edit', onclick: addTag }, 'Add tag'))));
  gate(root, 'experiment', info.experiment_id, 'EDIT', '.needs-edit');

  // ---- datasets ----
  const inputs = (run.inputs && run.inputs.dataset_inputs) || [];
  root.appendChild(section(`Datasets (${inputs.length})`, inputs.length
    ? table(['Name', 'Digest', 'Source type', 'Context', 'Source'], inputs.map((d) => {
      const ctx = (d.tags || []).find((t) => t.key === 'mlflow.data.context');
      return h('tr', null, h('td', null, d.dataset.name), h('td', { class: 'mono' }, d.dataset.digest),
        h('td', null, d.dataset.source_type || ''), h('td', null, ctx ? ctx.value : ''), h('td', { class: 'mono small-text' }, d.dataset.source || ''));
    }))
    : empty('No datasets.')));

  // ---- logged models and registry links ----
  const modelsEl = h('div', null, spinner());
  const regEl = h('div', null, spinner());
  root.appendChild(section('Logged models', modelsEl));
  root.appendChild(section('Registered model versions', regEl));
  mlflow('POST', 'logged-models/search', { experiment_ids: [info.experiment_id], filter: `source_run_id = ${quote(runId)}`, max_results: 100 })
    .then((r) => {
      const ms = r.models || [];
      clear(modelsEl).appendChild(ms.length
        ? table(['Name', 'Model ID', 'Status', 'Created'], ms.map((m) => h('tr', null,
          h('td', null, m.info.name), h('td', { class: 'mono' }, m.info.model_id), h('td', null, m.info.status || ''), h('td', null, fmtTime(m.info.creation_timestamp_ms)))))
        : empty('No logged models.'));
    }).catch((e) => { clear(modelsEl).appendChild(empty(e.message)); });
  mlflow('GET', 'model-versions/search', { filter: `run_id = ${quote(runId)}`, max_results: 200 })
    .then((r) => {
      const vs = r.model_versions || [];
      clear(regEl).appendChild(vs.length
        ? table(['Model', 'Version', 'Stage', 'Aliases'], vs.map((v) => h('tr', null,
          h('td', null, h('a', { href: `#/models/${encodeURIComponent(v.name)}` }, v.name)),
          h('td', null, h('a', { href: `#/models/${encodeURIComponent(v.name)}/versions/${encodeURIComponent(v.version)}` }, `Version ${v.version}`)),
          h('td', null, v.current_stage || ''), h('td', null, (v.aliases || []).join(', ')))))
        : empty('No registered versions come from this run.'));
    }).catch((e) => { clear(regEl).appendChild(empty(e.message)); });

  // ---- artifacts ----
  root.appendChild(section('Artifacts', artifactBrowser(runId)));

  return () => charts.forEach((c) => c.destroy());
}

function fmtSize(n) {
  if (n === undefined || n === null) return '';
  n = Number(n);
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function artifactBrowser(runId) {
  const tree = h('ul', { class: 'art-tree' });
  const preview = h('div', { class: 'art-preview' }, h('p', { class: 'muted' }, 'Select a file to preview it.'));
  const wrap = h('div', { class: 'artifacts' }, h('div', { class: 'art-left' }, tree), preview);

  async function list(path, ul) {
    ul.appendChild(h('li', { class: 'muted' }, 'Loading…'));
    try {
      const r = await mlflow('GET', 'artifacts/list', { run_id: runId, path: path || undefined });
      clear(ul);
      const files = (r.files || []).slice().sort((a, b) => (b.is_dir - a.is_dir) || a.path.localeCompare(b.path));
      if (!files.length && !path) ul.appendChild(h('li', { class: 'muted' }, 'No artifacts.'));
      for (const f of files) {
        const base = f.path.split('/').pop();
        if (f.is_dir) {
          const sub = h('ul', { hidden: true });
          let loaded = false;
          const mark = h('span', { class: 'twisty' }, '▸');
          const li = h('li', { class: 'dir' }, h('button', { class: 'link', onclick: () => {
            sub.hidden = !sub.hidden;
            li.classList.toggle('open', !sub.hidden);
            mark.textContent = sub.hidden ? '▸' : '▾';
            if (!loaded) { loaded = true; list(f.path, sub); }
          } }, mark, `${base}/`), sub);
          ul.appendChild(li);
        } else {
          ul.appendChild(h('li', { class: 'file' }, h('button', { class: 'link', onclick: (e) => {
            wrap.querySelectorAll('.art-tree .sel').forEach((x) => x.classList.remove('sel'));
            e.currentTarget.classList.add('sel');
            show(f);
          } }, base), h('span', { class: 'muted small-text' }, ` ${fmtSize(f.file_size)}`)));
        }
      }
    } catch (e) {
      clear(ul).appendChild(h('li', { class: 'error' }, e.message));
    }
  }

  async function show(f) {
    const url = artifactUrl(runId, f.path);
    const base = f.path.split('/').pop();
    const dl = h('a', { href: url, download: base, class: 'button small' }, 'Download');
    clear(preview).append(h('div', { class: 'art-head' }, h('span', { class: 'mono' }, f.path), ' ', h('span', { class: 'muted' }, fmtSize(f.file_size)), ' ', dl));
    if (IMG_EXT.test(base)) {
      preview.appendChild(h('img', { src: url, alt: base, class: 'art-img' }));
    } else if (TEXT_EXT.test(base) || TEXT_NAMES.test(base) || (f.file_size !== undefined && f.file_size < 64 * 1024 && !/\.[a-z0-9]{1,5}$/i.test(base))) {
      const pre = h('pre', { class: 'art-text' }, 'Loading…');
      preview.appendChild(pre);
      try {
        let { text, cut } = await fetchText(url, PREVIEW_MAX);
        if (/\.json$/i.test(base) && !cut) {
          try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* shown as is */ }
        }
        pre.textContent = text + (cut ? '\n… (preview cut at 1 MB; download for the rest)' : '');
      } catch (e) {
        pre.textContent = e.message;
      }
    } else {
      preview.appendChild(h('p', { class: 'muted' }, 'No preview for this kind of file. Use the download link.'));
    }
  }

  list('', tree);
  return wrap;
}
