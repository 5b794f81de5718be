// GenAI traces: an experiment's traces (search with MLflow's trace grammar, newest first)
// and one trace (its span tree with a timing waterfall, and each span's inputs, outputs,
// attributes and events). Everything a span carries is shown as text.
import { mlflow, mlflow3 } from './api.js';
import { h, clear, put, fmtTime, kvTable, section, spinner, empty, copyButton, showError } from './dom.js';
import { experimentTabs } from './models.js';

const enc = encodeURIComponent;

function latency(ms) {
  if (ms === undefined || ms === null || isNaN(ms)) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

// "0.078s" (a proto Duration) in ms.
function durationMs(d) {
  const m = /^(-?\d+(?:\.\d+)?)s$/.exec(d || '');
  return m ? Number(m[1]) * 1000 : null;
}

// The trace's total tokens (the client's mlflow.trace.tokenUsage metadata), or ''.
function tokens(info) {
  try {
    const u = JSON.parse((info.trace_metadata || {})['mlflow.trace.tokenUsage'] || 'null');
    return u && Number.isFinite(u.total_tokens) ? u.total_tokens.toLocaleString('en-US') : '';
  } catch {
    return '';
  }
}

function statusBadge(state) {
  const s = String(state || '').replace(/^STATUS_CODE_/, '');
  const cls = s === 'OK' ? 'ok' : s === 'ERROR' ? 'error' : 'unset';
  return h('span', { class: `status-badge ${cls}` }, s || '—');
}

// The experiment's traces in figures, from traces/metrics: how many, how many failed, the
// latency's median and 90th percentile, the tokens. The search box does not narrow them
// (the metrics filter is another grammar); a server without the route shows none.
async function traceFigures(expId) {
  const ask = (metric, aggregations, more) => mlflow3('POST', 'traces/metrics', {
    experiment_ids: [expId], view_type: 'TRACES', metric_name: metric, aggregations, ...more,
  }).then((r) => r.data_points || []);
  const pct = (p) => ({ aggregation_type: 'PERCENTILE', percentile_value: p });
  const [byState, lat, tok] = await Promise.all([
    ask('trace_count', [{ aggregation_type: 'COUNT' }], { dimensions: ['trace_status'] }),
    ask('latency', [pct(50), pct(90)]),
    ask('total_tokens', [{ aggregation_type: 'SUM' }]),
  ]);
  const count = (s) => byState.filter((p) => !s || p.dimensions.trace_status === s)
    .reduce((n, p) => n + p.values.COUNT, 0);
  const total = count();
  if (!total) return '';
  const parts = [`${total.toLocaleString('en-US')} trace${total === 1 ? '' : 's'}`,
    `${count('ERROR').toLocaleString('en-US')} failed`];
  const l = (lat[0] || {}).values || {};
  if (l['P50.0'] !== undefined) parts.push(`latency p50 ${latency(l['P50.0'])}, p90 ${latency(l['P90.0'])}`);
  const t = ((tok[0] || {}).values || {}).SUM;
  if (t !== undefined) parts.push(`${t.toLocaleString('en-US')} tokens`);
  return parts.join(' · ');
}

export async function tracesPage(root, expId, q) {
  root.appendChild(spinner());
  const { experiment } = await mlflow('GET', 'experiments/get', { experiment_id: expId });
  clear(root);
  document.title = `Traces of ${experiment.name} · mltrack`;
  const filter = h('input', { type: 'search', class: 'trace-filter', value: q.get('filter') || '',
    placeholder: "trace.status = 'ERROR' AND tags.team = 'a'", 'aria-label': 'Filter traces' });
  const body = h('tbody');
  const list = h('table', { class: 'grid traces' },
    h('thead', null, h('tr', null, ['Trace', 'Name', 'Status', 'Request time', 'Latency', 'Tokens', 'Request', 'Tags'].map((x) => h('th', null, x)))),
    body);
  const note = h('p', { class: 'muted' });
  const figures = h('p', { class: 'muted trace-figures' });
  traceFigures(expId).then((t) => { figures.textContent = t; }, () => {});
  const more = h('button', { hidden: true, onclick: () => load(false) }, 'Load more');
  root.append(h('div', { class: 'page-head' },
    h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments')),
    h('h1', null, experiment.name)), experimentTabs(expId, 'traces'), figures,
  h('form', { class: 'trace-search', onsubmit: (e) => { e.preventDefault(); search(); } },
    filter, h('button', { type: 'submit' }, 'Search')), list, note, more);
  let token = null;
  let count = 0;

  function search() {
    const f = filter.value.trim();
    const hash = `#/experiments/${enc(expId)}/traces${f ? `?filter=${enc(f)}` : ''}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    load(true);
  }

  async function load(reset) {
    if (reset) {
      clear(body);
      token = null;
      count = 0;
    }
    note.textContent = 'Loading…';
    try {
      const r = await mlflow3('POST', 'traces/search', {
        locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: expId } }],
        filter: filter.value.trim() || undefined, max_results: 100, page_token: token || undefined,
      });
      for (const t of r.traces || []) body.appendChild(traceRow(expId, t));
      count += (r.traces || []).length;
      token = r.next_page_token || null;
      more.hidden = !token;
      note.textContent = count ? `${count} trace${count === 1 ? '' : 's'}${token ? ' (more below)' : ''}` : '';
      if (!count) note.replaceChildren(empty(filter.value.trim() ? 'No trace matches this filter.' : 'No traces in this experiment yet.'));
    } catch (err) {
      note.textContent = '';
      showError(err);
    }
  }
  load(true);
}

function traceRow(expId, t) {
  const tags = Object.entries(t.tags || {}).filter(([k]) => !k.startsWith('mlflow.'));
  return h('tr', { dataset: { traceId: t.trace_id } },
    h('td', null, h('a', { href: `#/experiments/${enc(expId)}/traces/${enc(t.trace_id)}` }, t.trace_id)),
    h('td', null, (t.tags || {})['mlflow.traceName'] || ''),
    h('td', null, statusBadge(t.state)),
    h('td', null, fmtTime(Date.parse(t.request_time))),
    h('td', { class: 'num' }, latency(durationMs(t.execution_duration))),
    h('td', { class: 'num tokens' }, tokens(t)),
    h('td', { class: 'preview' }, (t.request_preview || '').slice(0, 200)),
    h('td', null, tags.map(([k, v]) => h('span', { class: 'tag' }, `${k}=${v}`))));
}

// ---- one trace ----

// An OpenTelemetry AnyValue (proto JSON) as a JavaScript value.
function anyValue(v) {
  if (!v) return null;
  if ('string_value' in v) return v.string_value;
  if ('int_value' in v) return Number(v.int_value);
  if ('double_value' in v) return v.double_value;
  if ('bool_value' in v) return v.bool_value;
  if ('array_value' in v) return (v.array_value.values || []).map(anyValue);
  if ('kvlist_value' in v) return Object.fromEntries((v.kvlist_value.values || []).map((kv) => [kv.key, anyValue(kv.value)]));
  return null;
}

function attrs(list) {
  return Object.fromEntries((list || []).map((kv) => [kv.key, anyValue(kv.value)]));
}

// A proto JSON id (base64) as the hex MLflow prints.
function hexId(b64) {
  try {
    return Array.from(atob(b64 || ''), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  } catch {
    return String(b64 || '');
  }
}

function asText(v) {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

// Spans in tree order (a parent before its children, siblings by start), with depth.
function treeOrder(spans) {
  const byParent = new Map();
  const ids = new Set(spans.map((s) => s.span_id));
  for (const s of spans) {
    const p = s.parent_span_id && ids.has(s.parent_span_id) ? s.parent_span_id : '';
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p).push(s);
  }
  for (const v of byParent.values()) v.sort((a, b) => Number(a.start_time_unix_nano) - Number(b.start_time_unix_nano));
  const out = [];
  const walk = (p, depth) => {
    for (const s of byParent.get(p) || []) {
      out.push({ s, depth });
      walk(s.span_id, depth + 1);
    }
  };
  walk('', 0);
  return out;
}

// Feedback and expectations: name, value (or the error), source, rationale, valid.
function assessmentValue(a) {
  if (a.feedback) {
    if (a.feedback.error) return `error ${a.feedback.error.error_code || ''}: ${a.feedback.error.error_message || ''}`;
    return asText(a.feedback.value);
  }
  const ex = a.expectation || {};
  if (ex.serialized_value) return ex.serialized_value.value;
  return asText(ex.value);
}

function assessmentTable(list) {
  return h('table', { class: 'grid assessments' },
    h('thead', null, h('tr', null, ['Name', 'Kind', 'Value', 'Source', 'Rationale', 'Valid'].map((x) => h('th', null, x)))),
    h('tbody', null, list.map((a) => h('tr', { class: a.valid === false ? 'muted' : '' },
      h('td', null, a.assessment_name),
      h('td', null, a.feedback ? 'feedback' : 'expectation'),
      h('td', null, h('pre', null, assessmentValue(a))),
      h('td', null, `${(a.source || {}).source_type || ''}${(a.source || {}).source_id ? ` · ${a.source.source_id}` : ''}`),
      h('td', null, a.rationale || ''),
      h('td', null, a.valid === false ? 'overridden' : 'yes')))));
}

export async function tracePage(root, expId, traceId) {
  root.appendChild(spinner());
  const { trace } = await mlflow3('GET', 'traces/get', { trace_id: traceId, allow_partial: true });
  clear(root);
  const info = trace.trace_info;
  const exp = (info.trace_location && info.trace_location.mlflow_experiment || {}).experiment_id || expId;
  const name = (info.tags || {})['mlflow.traceName'] || traceId;
  document.title = `${name} · trace · mltrack`;
  const spans = (trace.spans || []).map((s) => ({ ...s, a: attrs(s.attributes) }));
  const order = treeOrder(spans);
  const t0 = Math.min(...spans.map((s) => Number(s.start_time_unix_nano)));
  const t1 = Math.max(...spans.map((s) => Number(s.end_time_unix_nano || s.start_time_unix_nano)));
  const total = Math.max(1, t1 - t0);
  const detail = h('div', { class: 'span-detail card' });
  const rows = order.map(({ s, depth }) => {
    const start = Number(s.start_time_unix_nano), end = Number(s.end_time_unix_nano || start);
    const bar = h('div', { class: `wf-bar ${String((s.status || {}).code || '').replace('STATUS_CODE_', '').toLowerCase()}`,
      style: { left: `${((start - t0) / total) * 100}%`, width: `${Math.max(0.3, ((end - start) / total) * 100)}%` } });
    const row = h('div', { class: 'span-row', tabIndex: 0, role: 'button', dataset: { spanId: s.span_id },
      onclick: () => select(s, row), onkeydown: (e) => { if (e.key === 'Enter') select(s, row); } },
    h('div', { class: 'span-name', style: { paddingLeft: `${depth * 16 + 4}px` } },
      h('span', { class: 'span-type' }, asText(s.a['mlflow.spanType'] || '')), ' ', s.name),
    h('div', { class: 'span-time num' }, latency((end - start) / 1e6)),
    h('div', { class: 'wf' }, bar));
    return row;
  });
  function select(s, row) {
    for (const r of rows) r.classList.toggle('selected', r === row);
    clear(detail);
    const own = Object.entries(s.a).filter(([k]) => !/^mlflow\.(spanInputs|spanOutputs|traceRequestId)$/.test(k));
    put(detail, h('h2', null, s.name),
      kvTable([['Type', asText(s.a['mlflow.spanType'] || '')], ['Status', statusBadge((s.status || {}).code)],
        (s.status || {}).message ? ['Message', s.status.message] : null,
        ['Duration', latency((Number(s.end_time_unix_nano) - Number(s.start_time_unix_nano)) / 1e6)],
        ['Span ID', hexId(s.span_id)]]),
      h('h3', null, 'Inputs'), h('pre', { class: 'span-io' }, asText(s.a['mlflow.spanInputs'])),
      h('h3', null, 'Outputs'), h('pre', { class: 'span-io' }, asText(s.a['mlflow.spanOutputs'])),
      h('h3', null, 'Attributes'), own.length ? kvTable(own.map(([k, v]) => [k, h('pre', null, asText(v))])) : empty('None.'),
      (s.events || []).length ? [h('h3', null, 'Events'), (s.events || []).map((ev) =>
        h('div', { class: 'span-event' }, h('b', null, ev.name), h('pre', null, asText(attrs(ev.attributes)))))] : null);
  }
  const meta = Object.entries(info.trace_metadata || {});
  const tags = Object.entries(info.tags || {});
  root.append(h('div', { class: 'page-head' },
    h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / ',
      h('a', { href: `#/experiments/${enc(exp)}/traces` }, 'Traces')),
    h('h1', null, name, ' ', statusBadge(info.state)),
    h('p', { class: 'muted' }, traceId, ' ', copyButton(traceId, 'trace ID'), ' · ', fmtTime(Date.parse(info.request_time)),
      ' · ', latency(durationMs(info.execution_duration)),
      tokens(info) ? h('span', { class: 'trace-tokens' }, ` · ${tokens(info)} tokens`) : null)),
  h('div', { class: 'trace-layout' },
    h('div', { class: 'span-tree card', role: 'list', 'aria-label': 'Spans' },
      rows.length ? rows : empty('This trace has no spans in the tracking store.')),
    detail),
  section('Assessments', (info.assessments || []).length ? assessmentTable(info.assessments) : empty('None.')),
  section('Tags', tags.length ? kvTable(tags) : empty('None.')),
  section('Metadata', meta.length ? kvTable(meta) : empty('None.')));
  if (rows.length) select(order[0].s, rows[0]);
}
