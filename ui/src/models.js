// Logged models (MLflow 3): an experiment's list (#/experiments/<id>/models) and a model's
// page (#/experiments/<id>/models/<model_id>): its source run, params, metrics, tags, the
// signature read from its MLmodel file, the registered versions made from it, and its
// files with previews.
import { h, clear, fmtTime, fmtNum, kvTable, section, table, empty, spinner, copyButton } from './dom.js';
import { mlflow, fetchText, quote } from './api.js';
import { artifactBrowser, modelFiles, parseMLmodel, schemaTable } from './artifacts.js';
import { runHref, versionModelId } from './run.js';

const modelHref = (expId, id) => `#/experiments/${encodeURIComponent(expId)}/models/${encodeURIComponent(id)}`;
const status = (s) => (s || '').replace(/^LOGGED_MODEL_/, '');

// The experiment's tabs: its runs and its logged models.
export function experimentTabs(expId, active) {
  return h('div', { class: 'tabs exp-tabs' },
    h('a', { class: `tab${active === 'runs' ? ' active' : ''}`, href: `#/experiments/${encodeURIComponent(expId)}` }, 'Runs'),
    h('a', { class: `tab${active === 'models' ? ' active' : ''}`, href: `#/experiments/${encodeURIComponent(expId)}/models` }, 'Logged models'),
    h('a', { class: `tab${active === 'traces' ? ' active' : ''}`, href: `#/experiments/${encodeURIComponent(expId)}/traces` }, 'Traces'));
}

export async function loggedModelsPage(root, expId) {
  root.appendChild(spinner());
  const { experiment } = await mlflow('GET', 'experiments/get', { experiment_id: expId });
  clear(root);
  document.title = `Models of ${experiment.name} · mltrack`;
  const list = h('div', null, spinner());
  const more = h('button', { hidden: true, onclick: () => load() }, 'Load more');
  root.append(h('div', { class: 'page-head' },
    h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments')),
    h('h1', null, experiment.name)), experimentTabs(expId, 'models'), list, more);
  let token = null;
  const items = [];
  const runNames = new Map();
  async function load() {
    const r = await mlflow('POST', 'logged-models/search', { experiment_ids: [expId], max_results: 100, page_token: token || undefined,
      order_by: [{ field_name: 'creation_timestamp', ascending: false }] });
    items.push(...(r.models || []));
    token = r.next_page_token || null;
    more.hidden = !token;
    const ids = [...new Set(items.map((m) => m.info.source_run_id).filter((id) => id && !runNames.has(id)))];
    if (ids.length) {
      for (let k = 0; k < ids.length; k += 100) {
        const rs = await mlflow('POST', 'runs/search', { experiment_ids: [expId], run_view_type: 'ALL', max_results: 100,
          filter: `attributes.run_id IN (${ids.slice(k, k + 100).map(quote).join(', ')})` });
        for (const run of rs.runs || []) runNames.set(run.info.run_id, run.info.run_name || run.info.run_id);
      }
    }
    const metricKeys = [...new Set(items.flatMap((m) => ((m.data && m.data.metrics) || []).map((x) => x.key)))].sort().slice(0, 6);
    clear(list).appendChild(items.length
      ? table(['Name', 'Model ID', 'Source run', 'Status', 'Created', ...metricKeys], items.map((m) => {
        const mv = Object.fromEntries(((m.data && m.data.metrics) || []).map((x) => [x.key, x.value]));
        return h('tr', { dataset: { model: m.info.model_id } },
          h('td', null, h('a', { href: modelHref(expId, m.info.model_id), class: 'logged-model-link' }, m.info.name)),
          h('td', { class: 'mono' }, m.info.model_id),
          h('td', null, m.info.source_run_id ? h('a', { href: runHref(expId, m.info.source_run_id) }, runNames.get(m.info.source_run_id) || m.info.source_run_id) : ''),
          h('td', null, status(m.info.status)),
          h('td', null, fmtTime(m.info.creation_timestamp_ms)),
          metricKeys.map((k) => h('td', { class: 'num' }, k in mv ? fmtNum(mv[k]) : '')));
      }), { class: 'grid logged-models' })
      : empty('No logged models in this experiment. mlflow.<flavor>.log_model(...) logs one.'));
  }
  await load();
}

// The signature (inputs, outputs, params) of an MLmodel file's text.
export function signatureSection(mlmodelText) {
  const mm = parseMLmodel(mlmodelText);
  const sig = mm.signature;
  return {
    mm,
    el: section('Signature', sig
      ? [h('h4', null, 'Inputs'), schemaTable(sig.inputs), h('h4', null, 'Outputs'), schemaTable(sig.outputs),
        sig.params ? [h('h4', null, 'Parameters'), schemaTable(sig.params)] : null]
      : empty('This model was logged without a signature.')),
  };
}

export async function loggedModelPage(root, expId, modelId) {
  root.appendChild(spinner());
  const { model } = await mlflow('GET', `logged-models/${encodeURIComponent(modelId)}`);
  clear(root);
  const info = model.info;
  document.title = `${info.name} (${info.model_id}) · mltrack`;
  const tags = Object.fromEntries((info.tags || []).map((t) => [t.key, t.value]));
  const expLink = h('a', { href: `#/experiments/${encodeURIComponent(info.experiment_id)}/models` }, `Experiment ${info.experiment_id}`);
  mlflow('GET', 'experiments/get', { experiment_id: info.experiment_id }).then((r) => { expLink.textContent = r.experiment.name; }).catch(() => {});
  const runLink = info.source_run_id ? h('a', { href: runHref(info.experiment_id, info.source_run_id), class: 'source-run' }, info.source_run_id) : '—';
  if (info.source_run_id) {
    mlflow('GET', 'runs/get', { run_id: info.source_run_id }).then((r) => { runLink.textContent = r.run.info.run_name || info.source_run_id; }).catch(() => {});
  }
  root.appendChild(h('div', { class: 'page-head' },
    h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / ', expLink, ' / logged models'),
    h('h1', null, info.name, ' ', h('span', { class: 'badge' }, status(info.status)))));
  const flavorsEl = h('span', { class: 'muted' }, '…');
  const regEl = h('span', { class: 'muted' }, '…');
  root.appendChild(h('div', { class: 'row2' },
    section('Overview', kvTable([
      ['Model ID', h('span', null, h('span', { class: 'mono' }, info.model_id), ' ', copyButton(info.model_id, 'model ID'))],
      ['Source run', runLink],
      ['Flavors', flavorsEl],
      ['Model type', info.model_type || '—'],
      ['Created', fmtTime(info.creation_timestamp_ms)],
      ['Last modified', fmtTime(info.last_updated_timestamp_ms)],
      ['Registered as', regEl],
      ['Artifact location', h('span', { class: 'mono' }, info.artifact_uri || '')],
    ])),
    section('Parameters', ((model.data && model.data.params) || []).length
      ? table(['Name', 'Value'], model.data.params.map((p) => h('tr', null, h('td', null, p.key), h('td', { class: 'mono' }, p.value))))
      : empty('No parameters.'))));
  const ms = (model.data && model.data.metrics) || [];
  root.appendChild(section('Metrics', ms.length
    ? table(['Name', 'Value', 'Step', 'Dataset'], ms.map((m) => h('tr', null, h('td', null, m.key), h('td', { class: 'num' }, fmtNum(m.value)),
      h('td', { class: 'num' }, String(m.step ?? '')), h('td', null, m.dataset_name || ''))))
    : empty('No metrics.')));
  const sigSlot = h('div', null, section('Signature', spinner()));
  root.appendChild(sigSlot);
  const files = modelFiles(info.model_id);
  fetchText(files.url('MLmodel'), 1024 * 1024).then(({ text }) => {
    const s = signatureSection(text);
    clear(sigSlot).appendChild(s.el);
    flavorsEl.className = '';
    flavorsEl.textContent = s.mm.flavors.join(', ') || '—';
  }).catch(() => {
    clear(sigSlot).appendChild(section('Signature', empty('No MLmodel file: this logged model has no files yet.')));
    flavorsEl.textContent = '—';
  });
  // Registered versions made from this model (found through its source run's versions).
  (info.source_run_id ? mlflow('GET', 'model-versions/search', { filter: `run_id = ${quote(info.source_run_id)}`, max_results: 200 })
    : Promise.resolve({ model_versions: [] })).then((r) => {
    const vs = (r.model_versions || []).filter((v) => versionModelId(v) === info.model_id);
    clear(regEl);
    regEl.className = '';
    if (!vs.length) return regEl.append('—');
    vs.forEach((v, i) => regEl.append(i ? ', ' : '', h('a', { class: 'registered-link', href: `#/models/${encodeURIComponent(v.name)}/versions/${encodeURIComponent(v.version)}` }, `${v.name} v${v.version}`)));
  }).catch(() => { regEl.textContent = '—'; });
  const shown = Object.keys(tags).filter((k) => !k.startsWith('mlflow.')).sort();
  root.appendChild(section('Tags', shown.length
    ? table(['Key', 'Value'], shown.map((k) => h('tr', null, h('td', null, k), h('td', { class: 'mono' }, tags[k]))))
    : empty('No tags.')));
  const b = artifactBrowser([{ label: info.name, files }], null, null);
  root.appendChild(section('Files', b.el));
  return b.destroy;
}
