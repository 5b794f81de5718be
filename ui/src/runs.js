// The runs of one or several experiments: a table or a chart view over them.
//
// Table: MLflow's filter grammar with completion of names, operators and values, a
// time-range filter, server-side sorting and paging by page token (pages are appended as
// you scroll, so no row is lost or repeated), a column picker over attributes, params,
// latest metrics and tags; columns can be resized, pinned and dragged into another order.
// Nested runs (MLflow's mlflow.parentRunId tag) sit under their parent, which expands to
// them; "Group by" a param, tag or dataset turns the table into one row per value with
// the mean (and min/max) of each metric. Rows and columns are virtualised: only the cells
// in view exist, in pooled rows that are refilled, never re-created, as you scroll, so
// 10,000 runs with hundreds of columns scroll as smoothly as 10.
//
// Everything that defines the view is in the URL (MLflow's own parameter names where it
// has them: searchFilter, orderByKey, orderByAsc, lifecycleFilter, startTimeLabel,
// compareRunsMode), so Back, reload and a shared link show the same thing. The CSV
// download is streamed by the server (any number of runs), and running runs refresh.
import { h, clear, put, fmtTime, fmtDuration, fmtNum, confirmAction, modal, showError, hideError, toast, empty, copyText } from './dom.js';
import { mlflow, ident, pool, quote, BASE } from './api.js';
import { gate } from './access.js';
import { setQuery, parseList } from './url.js';
import { attachAutocomplete } from './autocomplete.js';
import { ChartView, CHART_RUN_CHOICES } from './chartview.js';
import { experimentTabs } from './models.js';
import { runHref } from './run.js';

const ROW_H = 30;
const HEAD_H = 34;
const OVERSCAN = 8;
const PAGE = 1000;
const CB_W = 36;
const NAME_W = 240;
const MIN_W = 50;

const ATTRS = [
  { id: 'attr:run_name', label: 'Run name', order: 'attributes.run_name', w: NAME_W },
  { id: 'attr:start_time', label: 'Created', order: 'attributes.start_time', w: 175 },
  { id: 'attr:duration', label: 'Duration', w: 90 },
  { id: 'attr:user_id', label: 'User', order: 'attributes.user_id', w: 110 },
  { id: 'attr:status', label: 'Status', order: 'attributes.status', w: 100 },
  { id: 'attr:source', label: 'Source', w: 160 },
  { id: 'attr:end_time', label: 'Ended', order: 'attributes.end_time', w: 175 },
  { id: 'attr:run_id', label: 'Run ID', w: 260 },
  { id: 'attr:experiment_id', label: 'Experiment', w: 110 },
  { id: 'attr:lifecycle_stage', label: 'Lifecycle', w: 90 },
  { id: 'attr:datasets', label: 'Datasets', w: 180 },
];
const ATTR_BY_ID = Object.fromEntries(ATTRS.map((a) => [a.id, a]));
// The server's CSV export knows these attribute columns.
const CSV_ATTR = { 'attr:run_name': 'run_name', 'attr:start_time': 'start_time', 'attr:duration': 'duration', 'attr:user_id': 'user_id',
  'attr:status': 'status', 'attr:source': 'source', 'attr:end_time': 'end_time', 'attr:run_id': 'run_id', 'attr:experiment_id': 'experiment_id',
  'attr:lifecycle_stage': 'lifecycle_stage' };

const TIME_RANGES = [
  ['ALL', 'All time', 0], ['LAST_HOUR', 'Last hour', 36e5], ['LAST_24_HOURS', 'Last 24 hours', 864e5], ['LAST_7_DAYS', 'Last 7 days', 6048e5],
  ['LAST_30_DAYS', 'Last 30 days', 2592e6], ['LAST_YEAR', 'Last year', 31104e6], ['CUSTOM', 'Custom range…', 0],
];
const LIFECYCLE = { Active: 'ACTIVE_ONLY', Deleted: 'DELETED_ONLY', All: 'ALL' };
const LIFECYCLE_NAME = Object.fromEntries(Object.entries(LIFECYCLE).map(([k, v]) => [v, k]));

function colLabel(id) {
  if (ATTR_BY_ID[id]) return ATTR_BY_ID[id].label;
  return id.slice(id.indexOf(':') + 1);
}

function colKind(id) {
  return id.slice(0, id.indexOf(':'));
}

function colKey(id) {
  return id.slice(id.indexOf(':') + 1);
}

function colOrder(id) {
  const kind = colKind(id);
  const key = colKey(id);
  if (kind === 'attr') return ATTR_BY_ID[id] && ATTR_BY_ID[id].order;
  if (kind === 'metric') return `metrics.${ident(key)}`;
  if (kind === 'param') return `params.${ident(key)}`;
  if (kind === 'tag') return `tags.${ident(key)}`;
  return null;
}

// MLflow's orderByKey ("metrics.`loss`", "attributes.start_time") as a column id.
function colOfOrderKey(k) {
  if (!k) return null;
  const a = ATTRS.find((x) => x.order === k);
  if (a) return a.id;
  const m = /^(metrics|params|tags)\.(.+)$/.exec(k);
  if (!m) return null;
  const key = m[2].replace(/^`(.*)`$/, '$1');
  return `${{ metrics: 'metric', params: 'param', tags: 'tag' }[m[1]]}:${key}`;
}

// A run with lookup maps for its params, latest metrics and tags, and its datasets.
function prepare(r) {
  const d = r.data || {};
  const m = {}, p = {}, t = {};
  for (const x of d.metrics || []) m[x.key] = x.value;
  for (const x of d.params || []) p[x.key] = x.value;
  for (const x of d.tags || []) t[x.key] = x.value;
  const ds = ((r.inputs && r.inputs.dataset_inputs) || []).map((x) => `${x.dataset.name} (${x.dataset.digest})`);
  return { info: r.info, m, p, t, ds, id: r.info.run_id, name: r.info.run_name || t['mlflow.runName'] || r.info.run_id };
}

function cellText(run, id) {
  const kind = colKind(id);
  const key = colKey(id);
  const i = run.info;
  if (kind === 'metric') return key in run.m ? fmtNum(run.m[key]) : '';
  if (kind === 'param') return run.p[key] ?? '';
  if (kind === 'tag') return run.t[key] ?? '';
  switch (key) {
    case 'run_name': return run.name;
    case 'start_time': return fmtTime(i.start_time);
    case 'end_time': return fmtTime(i.end_time);
    case 'duration': return i.start_time ? fmtDuration((i.end_time || (i.status === 'RUNNING' ? Date.now() : i.start_time)) - i.start_time) : '';
    case 'user_id': return i.user_id || run.t['mlflow.user'] || '';
    case 'status': return i.status || '';
    case 'source': return (run.t['mlflow.source.name'] || '').split(/[\\/]/).pop();
    case 'run_id': return i.run_id;
    case 'experiment_id': return i.experiment_id;
    case 'lifecycle_stage': return i.lifecycle_stage;
    case 'datasets': return run.ds.join(', ');
    default: return '';
  }
}

// ---- groups ----

// The values a run has for one group-by key ("param:lr", "tag:team", "dataset").
function keyValues(run, by) {
  if (by === 'dataset') return run.ds.length ? run.ds : ['(no dataset)'];
  const kind = colKind(by), key = colKey(by);
  const v = kind === 'param' ? run.p[key] : run.t[key];
  return [v === undefined ? '(not set)' : v];
}

// The keys of a group-by choice: one, or several joined by commas (no param or tag key
// holds a comma), as "param:optimizer,param:lr" groups by both.
export function groupKeys(by) {
  return by ? by.split(',').filter(Boolean) : [];
}

// The groups a run is in: one value per key (a run logged with two datasets is in two).
function groupValues(run, keys) {
  let combos = [[]];
  for (const k of keys) combos = combos.flatMap((c) => keyValues(run, k).map((v) => [...c, v]));
  return combos;
}

const GROUP_SEP = ' · ';
const natural = new Intl.Collator('en', { numeric: true }).compare;
// Values that are numbers compare as numbers (an lr of 0.0001 before 0.001, which the
// collator's digit runs would not give), the rest in natural order.
const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const valueOrder = (x, y) => (NUMERIC.test(x) && NUMERIC.test(y) ? Number(x) - Number(y) || natural(x, y) : natural(x, y));
const byParts = (a, b) => {
  for (let i = 0; i < a.length; i++) {
    const c = valueOrder(a[i], b[i]);
    if (c) return c;
  }
  return 0;
};

// How a group's rows and chart lines sum up a metric over its runs (MLflow's choice).
export const GROUP_AGGS = [['mean', 'Mean'], ['min', 'Min'], ['max', 'Max']];

// Groups in the natural order of their values; when the table is sorted by a metric, in
// the order of that metric's aggregate (groups without it last), so the best group leads.
export function groupRuns(runs, by, order = null, agg = 'mean') {
  const keys = groupKeys(by);
  const map = new Map();
  for (const r of runs) {
    for (const parts of groupValues(r, keys)) {
      const value = parts.join(GROUP_SEP);
      if (!map.has(value)) map.set(value, { value, parts, runs: [], agg: new Map() });
      map.get(value).runs.push(r);
    }
  }
  const groups = [...map.values()].sort((a, b) => byParts(a.parts, b.parts));
  if (order && colKind(order.col) === 'metric') {
    const key = colKey(order.col);
    const val = (g) => { const a = aggMetric(g, key); return a ? a[agg] : NaN; };
    groups.sort((x, y) => {
      const a = val(x), b = val(y);
      if (!isFinite(a) || !isFinite(b)) return isFinite(a) ? -1 : isFinite(b) ? 1 : 0;
      return order.asc ? a - b : b - a;
    });
  }
  return groups;
}

// Mean, min and max of a metric over a group's runs that have it (cached per group).
function aggMetric(g, key) {
  if (g.agg.has(key)) return g.agg.get(key);
  let n = 0, sum = 0, min = Infinity, max = -Infinity;
  for (const r of g.runs) {
    if (!(key in r.m)) continue;
    const v = Number(r.m[key]);
    if (!isFinite(v)) continue;
    n++; sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const a = n ? { n, mean: sum / n, min, max } : null;
  g.agg.set(key, a);
  return a;
}

function groupCellText(g, id, by, agg = 'mean') {
  const kind = colKind(id);
  if (kind === 'metric') {
    const a = aggMetric(g, colKey(id));
    return a ? [fmtNum(a[agg]), `${agg} of ${a.n}; mean ${fmtNum(a.mean)}, min ${fmtNum(a.min)}, max ${fmtNum(a.max)}`] : ['', ''];
  }
  const k = groupKeys(by).indexOf(`${kind}:${colKey(id)}`);
  if (k >= 0) return [g.parts[k], ''];
  const vals = new Set(g.runs.map((r) => cellText(r, id)));
  if (vals.size === 1) return [[...vals][0], ''];
  return [`${vals.size} values`, ''];
}

export async function runsPage(root, expIds, q, routeOpts = {}) {
  if (!expIds.length) {
    root.appendChild(h('p', null, 'Pick one or more experiments to see their runs.'));
    return undefined;
  }
  // Every experiment must exist: a wrong id says so instead of showing an empty table.
  const exps = await pool(expIds, 4, (id) => mlflow('GET', 'experiments/get', { experiment_id: id }).then((r) => r.experiment));
  const storeKey = `mltrack.columns.${[...expIds].sort().join(',')}`;
  const stored = (k, fallback) => {
    try {
      const v = JSON.parse(localStorage.getItem(k) || 'null');
      return v === null ? fallback : v;
    } catch { return fallback; }
  };
  const startLabel = q.get('startTimeLabel') || (TIME_RANGES.some(([k]) => k === q.get('startTime')) ? q.get('startTime') : 'ALL');
  const state = {
    filter: q.get('searchFilter') ?? q.get('filter') ?? '',
    order: { col: colOfOrderKey(q.get('orderByKey')) || 'attr:start_time', asc: q.get('orderByAsc') === 'true' },
    view: LIFECYCLE[q.get('lifecycleFilter')] || 'ACTIVE_ONLY',
    time: { label: startLabel, from: startLabel === 'CUSTOM' ? q.get('startTime') || '' : '', to: startLabel === 'CUSTOM' ? q.get('endTime') || '' : '' },
    mode: q.get('compareRunsMode') === 'CHART' || routeOpts.tab === 'chart' ? 'CHART' : 'TABLE',
    groupBy: q.get('groupBy') || '',
    groupAgg: GROUP_AGGS.some(([k]) => k === q.get('groupAgg')) ? q.get('groupAgg') : 'mean',
    refresh: Number(q.get('refresh')) || 0,
    chartRuns: CHART_RUN_CHOICES.includes(Number(q.get('chartRuns'))) ? Number(q.get('chartRuns')) : 10,
    runs: [],
    byId: new Map(),
    token: null,
    loading: false,
    selected: new Set(),
    keys: { metric: new Set(), param: new Set(), tag: new Set() },
    values: new Map(), // "param:k" / "tag:k" -> Set of values seen (for completion)
    datasets: new Set(),
    columns: q.get('cols') ? parseList(q.get('cols')) : stored(storeKey, null),
    widths: stored(`${storeKey}.widths`, {}),
    pinned: q.get('pin') !== null ? parseList(q.get('pin')) : stored(`${storeKey}.pinned`, []),
    expanded: new Set(parseList(q.get('expanded'))),
    openGroups: new Set(),
    rows: [],
    gen: 0,
  };
  if (state.columns && !(Array.isArray(state.columns) && state.columns.every((x) => typeof x === 'string'))) state.columns = null;
  if (!Array.isArray(state.pinned)) state.pinned = [];
  for (const part of (q.get('widths') || '').split(',').filter(Boolean)) {
    const i = part.lastIndexOf('=');
    const w = Number(part.slice(i + 1));
    if (i > 0 && w >= MIN_W) state.widths[decodeURIComponent(part.slice(0, i))] = w;
  }
  const colWidth = (id) => state.widths[id] || (ATTR_BY_ID[id] ? ATTR_BY_ID[id].w : 130);

  // ---- head ----
  const one = exps.length === 1;
  const title = h('h1', null, one ? exps[0].name : `${exps.length} experiments`);
  const sub = h('div', { class: 'muted' }, one ? `Experiment ${exps[0].experiment_id} · ${exps[0].artifact_location || ''}` : exps.map((x) => x.name).join(', '));
  document.title = `${one ? exps[0].name : `${exps.length} experiments`} · mltrack`;
  const filterIn = h('input', { type: 'search', class: 'grow mono', value: state.filter, 'aria-label': 'Filter runs',
    placeholder: "Filter: metrics.rmse < 1 and params.model = 'tree' and tags.team = 'x' and attributes.status = 'FINISHED'" });
  const search = () => { state.filter = filterIn.value.trim(); saveView(true); reload(); };
  const searchBtn = h('button', { class: 'primary', onclick: search }, 'Search');
  const viewSel = h('select', { 'aria-label': 'Lifecycle', onchange: (e) => { state.view = e.target.value; saveView(true); reload(); } },
    Object.entries(LIFECYCLE).map(([name, v]) => h('option', { value: v, selected: v === state.view }, `${name} runs`)));
  const fromIn = h('input', { type: 'datetime-local', 'aria-label': 'Started after', value: state.time.from });
  const toIn = h('input', { type: 'datetime-local', 'aria-label': 'Started before', value: state.time.to });
  const customBox = h('span', { class: 'custom-range', hidden: state.time.label !== 'CUSTOM' }, fromIn, ' – ', toIn);
  const timeSel = h('select', { 'aria-label': 'Time range', onchange: (e) => {
    state.time.label = e.target.value;
    customBox.hidden = state.time.label !== 'CUSTOM';
    if (state.time.label !== 'CUSTOM') { saveView(true); reload(); }
  } }, TIME_RANGES.map(([k, label]) => h('option', { value: k, selected: k === state.time.label }, label)));
  const onCustom = () => { state.time.from = fromIn.value; state.time.to = toIn.value; saveView(true); reload(); };
  fromIn.addEventListener('change', onCustom);
  toIn.addEventListener('change', onCustom);
  // Group by one key, then optionally by a second (a sweep's lr x optimizer).
  const setGroupBy = () => {
    if (!groupSel.value) groupSel2.value = '';
    state.groupBy = groupSel.value ? [groupSel.value, groupSel2.value].filter(Boolean).filter((k, i, a) => a.indexOf(k) === i).join(',') : '';
    groupSel2.hidden = !state.groupBy;
    aggSel.hidden = !state.groupBy;
    saveView(true);
    regroup();
  };
  const groupSel = h('select', { class: 'group-sel', 'aria-label': 'Group by', onchange: setGroupBy });
  const groupSel2 = h('select', { class: 'group-sel', 'aria-label': 'Then group by', hidden: !state.groupBy, onchange: setGroupBy });
  const aggSel = h('select', { 'aria-label': 'Aggregate', hidden: !state.groupBy, title: 'How a group sums up a metric over its runs', onchange: (e) => {
    state.groupAgg = e.target.value;
    saveView(true);
    rebuildRows();
  } }, GROUP_AGGS.map(([k, label]) => h('option', { value: k, selected: k === state.groupAgg }, label)));
  const modeBtns = h('span', { class: 'seg' },
    h('button', { class: 'seg-btn', dataset: { mode: 'TABLE' }, onclick: () => setMode('TABLE') }, 'Table'),
    h('button', { class: 'seg-btn', dataset: { mode: 'CHART' }, onclick: () => setMode('CHART') }, 'Charts'));
  const colsBtn = h('button', { onclick: pickColumns }, 'Columns');
  const compareBtn = h('button', { disabled: true, onclick: compare }, 'Compare');
  const delBtn = h('button', { class: 'danger needs-manage', disabled: true, onclick: () => lifecycle(true) }, 'Delete');
  const restoreBtn = h('button', { class: 'needs-manage', disabled: true, hidden: true, onclick: () => lifecycle(false) }, 'Restore');
  // Deleting runs needs MANAGE on their experiment (a hint; the server decides).
  if (expIds.length === 1) gate(root, 'experiment', expIds[0], 'MANAGE', '.needs-manage');
  const csvBtn = h('button', { onclick: downloadCsv, title: 'Every run that matches, streamed by the server' }, 'Download CSV');
  const refreshSel = h('select', { 'aria-label': 'Auto-refresh', onchange: (e) => { state.refresh = Number(e.target.value); saveView(false); startRefresh(); } },
    [[0, 'Auto-refresh off'], [2, 'Refresh every 2 s'], [5, 'every 5 s'], [10, 'every 10 s'], [30, 'every 30 s']]
      .map(([v, l]) => h('option', { value: String(v), selected: v === state.refresh }, l)));
  const count = h('span', { class: 'muted count' });
  const loadAllBtn = h('button', { class: 'small', hidden: true, onclick: loadAll }, 'Load all');

  // ---- the virtual table ----
  const head = h('div', { class: 'vt-head', style: { height: `${HEAD_H}px` } });
  const body = h('div', { class: 'vt-body' });
  const scroller = h('div', { class: 'vt', tabIndex: 0, 'aria-label': 'Runs' }, head, body);
  // The empty state sits inside the table's frame, right under its header, so it is seen
  // without scrolling.
  const emptyMsg = h('div', { class: 'vt-empty', hidden: true });
  const tableBox = h('div', { class: 'vt-box' }, scroller, emptyMsg);
  const chartBox = h('div', { class: 'chart-box', hidden: true });

  put(root,
    h('div', { class: 'page-head' }, h('div', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments')), title, sub),
    one ? experimentTabs(expIds[0], 'runs') : null,
    h('div', { class: 'toolbar' }, filterIn, searchBtn, timeSel, customBox, viewSel),
    h('div', { class: 'toolbar' }, modeBtns, h('label', null, 'Group by ', groupSel), groupSel2, aggSel, colsBtn, compareBtn, delBtn, restoreBtn, csvBtn, refreshSel, count, loadAllBtn),
    tableBox, chartBox);
  attachAutocomplete(filterIn,
    () => ({ metric: [...state.keys.metric].sort(), param: [...state.keys.param].sort(), tag: [...state.keys.tag].sort() }),
    (entity, key) => [...(state.values.get(`${entity}:${key}`) || [])].sort(natural).slice(0, 50),
    search);

  // The URL: what defines the view, with MLflow's names.
  function saveView(push) {
    const t = state.time;
    setQuery({
      searchFilter: state.filter || null,
      orderByKey: state.order.col === 'attr:start_time' && !state.order.asc ? null : colOrder(state.order.col),
      orderByAsc: state.order.col === 'attr:start_time' && !state.order.asc ? null : String(state.order.asc),
      lifecycleFilter: state.view === 'ACTIVE_ONLY' ? null : LIFECYCLE_NAME[state.view],
      startTimeLabel: t.label === 'ALL' ? null : t.label,
      startTime: t.label === 'CUSTOM' ? t.from : null,
      endTime: t.label === 'CUSTOM' ? t.to : null,
      compareRunsMode: state.mode === 'CHART' ? 'CHART' : null,
      groupBy: state.groupBy || null,
      groupAgg: state.groupBy && state.groupAgg !== 'mean' ? state.groupAgg : null,
      refresh: state.refresh || null,
      chartRuns: state.chartRuns === 10 ? null : state.chartRuns,
      filter: null,
    }, push);
  }

  function saveColumns() {
    const w = Object.entries(state.widths).map(([k, v]) => `${encodeURIComponent(k)}=${Math.round(v)}`).join(',');
    setQuery({ cols: state.columns ? state.columns.join(',') : null, pin: state.pinned.length ? state.pinned.join(',') : null, widths: w || null });
    try {
      if (state.columns) localStorage.setItem(storeKey, JSON.stringify(state.columns)); else localStorage.removeItem(storeKey);
      localStorage.setItem(`${storeKey}.widths`, JSON.stringify(state.widths));
      localStorage.setItem(`${storeKey}.pinned`, JSON.stringify(state.pinned));
    } catch { /* the URL still has them */ }
  }

  // The filter sent to the server: the user's, and the time range.
  function effectiveFilter() {
    const parts = [];
    if (state.filter) parts.push(state.filter);
    const t = state.time;
    const tr = TIME_RANGES.find(([k]) => k === t.label);
    if (tr && tr[2]) parts.push(`attributes.start_time >= ${Date.now() - tr[2]}`);
    if (t.label === 'CUSTOM') {
      const a = Date.parse(t.from), b = Date.parse(t.to);
      if (isFinite(a)) parts.push(`attributes.start_time >= ${a}`);
      if (isFinite(b)) parts.push(`attributes.start_time <= ${b}`);
    }
    return parts.join(' and ');
  }

  let layout = null; // {cols, pins, pinnedW, offs, total}
  let last = '';

  function columns() {
    if (state.columns) return state.columns;
    const cols = ['attr:start_time', 'attr:duration', 'attr:user_id', 'attr:status', 'attr:source'];
    if (expIds.length > 1) cols.push('attr:experiment_id');
    if (state.datasets.size) cols.push('attr:datasets');
    [...state.keys.metric].sort().slice(0, 12).forEach((k) => cols.push(`metric:${k}`));
    [...state.keys.param].sort().slice(0, 12).forEach((k) => cols.push(`param:${k}`));
    return cols;
  }

  function resetRows() {
    last = '';
    rowPool.forEach((r) => { r._key = ''; r._id = null; r._npins = -1; });
  }

  function computeLayout() {
    const all = columns().filter((c) => c !== 'attr:run_name');
    const pinnedSet = new Set(state.pinned.filter((c) => all.includes(c)));
    const nameW = colWidth('attr:run_name');
    let x = CB_W + nameW;
    const pins = [];
    for (const c of state.pinned) if (pinnedSet.has(c)) { pins.push({ col: c, left: x, w: colWidth(c) }); x += colWidth(c); }
    const pinnedW = x;
    const cols = all.filter((c) => !pinnedSet.has(c));
    const offs = [];
    for (const c of cols) {
      offs.push(x);
      x += colWidth(c);
    }
    layout = { cols, pins, pinnedW, nameW, offs, total: x };
    resetRows();
    renderHead();
  }

  function sortMark(col) {
    if (state.order.col !== col) return '';
    return state.order.asc ? ' ▲' : ' ▼';
  }

  function headCell(col, w, extra, left) {
    const order = colOrder(col);
    const kind = colKind(col);
    const pinned = state.pinned.includes(col);
    const style = { width: `${w}px` };
    if (left !== undefined) style.left = `${left}px`;
    return h('div', {
      class: `vt-cell vt-th ${kind}${order ? ' sortable' : ''}${extra || ''}`,
      style,
      title: order ? `${colLabel(col)} (${kind}): click to sort, drag to move` : colLabel(col),
      dataset: { col },
    }, kind === 'attr' ? '' : h('span', { class: 'kind' }, kind === 'metric' ? 'M' : kind === 'param' ? 'P' : 'T'),
    h('span', { class: 'th-label' }, colLabel(col) + sortMark(col)),
    col === 'attr:run_name' ? null : h('button', { class: `pin-btn${pinned ? ' on' : ''}`, title: pinned ? 'Unpin' : 'Pin to the left', 'aria-label': `${pinned ? 'Unpin' : 'Pin'} ${colLabel(col)}`, dataset: { pin: col } }, pinned ? '⊗' : '⇤'),
    h('span', { class: 'vt-resize', dataset: { resize: col }, title: 'Drag to resize' }));
  }

  let headCb = null;
  function renderHead() {
    clear(head);
    head.style.width = `${layout.total}px`;
    headCb = h('input', { type: 'checkbox', 'aria-label': 'Select all loaded runs', onchange: (e) => {
      state.selected.clear();
      if (e.target.checked) state.runs.forEach((r) => state.selected.add(r.id));
      selectionChanged();
      resetRows();
      renderBody();
    } });
    put(head,
      h('div', { class: 'vt-cell vt-th pin', style: { width: `${CB_W}px`, left: '0px' } }, headCb),
      headCell('attr:run_name', layout.nameW, ' pin pin2', CB_W),
      layout.pins.map((p) => headCell(p.col, p.w, ' pin pinned', p.left)),
      h('div', { class: 'vt-gap', dataset: { gap: '1' } }));
    headRange = '';
    renderHeadCols();
  }

  function fixedHead() {
    return 3 + layout.pins.length;
  }

  function visibleCols() {
    const l = scroller.scrollLeft + layout.pinnedW;
    const r = scroller.scrollLeft + scroller.clientWidth;
    let a = 0;
    while (a < layout.cols.length - 1 && layout.offs[a] + colWidth(layout.cols[a]) < l) a++;
    let b = a;
    while (b < layout.cols.length && layout.offs[b] < r) b++;
    return [a, Math.min(layout.cols.length, b + 1)];
  }

  let headRange = '';
  function renderHeadCols() {
    const [a, b] = visibleCols();
    const key = `${a}:${b}`;
    const fixed = fixedHead();
    if (key === headRange && head.childNodes.length > fixed) return;
    headRange = key;
    while (head.childNodes.length > fixed) head.removeChild(head.lastChild);
    head.childNodes[fixed - 1].style.width = `${(a < layout.cols.length ? layout.offs[a] : layout.total) - layout.pinnedW}px`;
    for (let c = a; c < b; c++) head.appendChild(headCell(layout.cols[c], colWidth(layout.cols[c])));
  }

  // ---- header interactions: sort (click), move (drag), resize (drag the edge), pin ----
  head.addEventListener('mousedown', (e) => {
    if (e.button !== 0) return;
    const pin = e.target.closest('[data-pin]');
    if (pin) { e.preventDefault(); return togglePin(pin.dataset.pin); }
    const rz = e.target.closest('[data-resize]');
    const cell = e.target.closest('.vt-th[data-col]');
    if (!cell) return;
    e.preventDefault();
    const col = cell.dataset.col;
    const x0 = e.clientX;
    if (rz) {
      const w0 = colWidth(col);
      const move = (ev) => {
        state.widths[col] = Math.max(MIN_W, Math.round(w0 + ev.clientX - x0));
        computeLayout();
        renderBody();
      };
      const up = () => { document.removeEventListener('mousemove', move); document.removeEventListener('mouseup', up); saveColumns(); };
      document.addEventListener('mousemove', move);
      document.addEventListener('mouseup', up);
      return;
    }
    let dragging = false, target = null;
    const move = (ev) => {
      if (!dragging && Math.abs(ev.clientX - x0) < 6) return;
      dragging = true;
      cell.classList.add('dragging');
      const over = document.elementFromPoint(ev.clientX, ev.clientY);
      const t = over && over.closest('.vt-head .vt-th[data-col]');
      if (target && target !== t) target.classList.remove('drop-before', 'drop-after');
      target = t && t.dataset.col !== col && t.dataset.col !== 'attr:run_name' ? t : null;
      if (target) {
        const r = target.getBoundingClientRect();
        const before = ev.clientX < r.left + r.width / 2;
        target.classList.toggle('drop-before', before);
        target.classList.toggle('drop-after', !before);
      }
    };
    const up = (ev) => {
      document.removeEventListener('mousemove', move);
      document.removeEventListener('mouseup', up);
      cell.classList.remove('dragging');
      if (!dragging) {
        if (colOrder(col)) sortBy(col);
        return;
      }
      if (target) {
        const before = target.classList.contains('drop-before');
        target.classList.remove('drop-before', 'drop-after');
        moveColumn(col, target.dataset.col, before);
      }
      void ev;
    };
    document.addEventListener('mousemove', move);
    document.addEventListener('mouseup', up);
  });

  function moveColumn(col, to, before) {
    if (col === 'attr:run_name') return;
    const cols = columns().filter((c) => c !== col);
    let i = cols.indexOf(to);
    if (i < 0) return;
    if (!before) i++;
    cols.splice(i, 0, col);
    state.columns = cols;
    // Pinned columns keep their pinned order, which follows the same move.
    if (state.pinned.includes(col) && state.pinned.includes(to)) {
      const p = state.pinned.filter((c) => c !== col);
      let j = p.indexOf(to);
      if (!before) j++;
      p.splice(j, 0, col);
      state.pinned = p;
    }
    saveColumns();
    computeLayout();
    renderBody();
  }

  function togglePin(col) {
    if (state.pinned.includes(col)) state.pinned = state.pinned.filter((c) => c !== col);
    else state.pinned = [...state.pinned, col];
    if (!state.columns) state.columns = columns();
    saveColumns();
    computeLayout();
    renderBody();
  }

  // Rows are pooled: the rows in view sit in normal flow inside one window element that is
  // moved (a single transform) to the first of them, and scrolling refills their text.
  // Nothing is created during a scroll and styles are recalculated for one element, not
  // for every row, so a frame costs little more than laying out the text in view.
  const rowPool = [];
  const win = h('div', { class: 'vt-win' });
  body.appendChild(win);

  function makeRow() {
    const cb = h('input', { type: 'checkbox' });
    const tg = h('button', { class: 'tree-toggle', tabIndex: -1 });
    const a = h('a', { class: 'run-link' });
    const copy = h('button', { class: 'copy-id', title: 'Copy run ID', 'aria-label': 'Copy run ID', tabIndex: -1 }, '⧉');
    const nameCell = h('div', { class: 'vt-cell pin pin2 name', style: { width: `${NAME_W}px`, left: `${CB_W}px` } }, tg, a, copy);
    const row = h('div', { class: 'vt-row' },
      h('div', { class: 'vt-cell pin', style: { width: `${CB_W}px` } }, cb), nameCell, h('div', { class: 'vt-gap' }));
    row._cb = cb;
    row._tg = tg;
    row._a = a;
    row._copy = copy;
    row._name = nameCell;
    row._gap = row.childNodes[2];
    row._pins = [];
    row._npins = -1;
    row._cells = [];
    return row;
  }

  // The pinned cells after the name: rebuilt when the pinned set changes.
  function fitPins(row) {
    if (row._npins === layout.pins.length && row._name.style.width === `${layout.nameW}px`) return;
    row._pins.forEach((c) => c.remove());
    row._pins = layout.pins.map((p) => h('div', { class: 'vt-cell pin pinned', style: { width: `${p.w}px`, left: `${p.left}px` } }));
    row._name.style.width = `${layout.nameW}px`;
    row._gap.before(...row._pins);
    row._npins = layout.pins.length;
  }

  function setCell(c, col, t, title) {
    const cls = `vt-cell${colKind(col) === 'metric' ? ' num' : ''}${col === 'attr:status' ? ` status-${String(t).toLowerCase()}` : ''}`;
    if (!c.classList.contains('pinned') && c.className !== cls) c.className = cls;
    if (c.textContent !== t) {
      c.textContent = t;
      c.title = title || t;
    }
  }

  function fillRow(row, item, a, b) {
    const isGroup = item.t === 'group';
    const id = isGroup ? `group:${item.g.value}` : item.run.id;
    const sel = !isGroup && state.selected.has(id);
    const open = isGroup ? state.openGroups.has(item.g.value) : state.expanded.has(id);
    const key = `${id}:${a}:${b}:${layout.total}:${open}:${item.depth}`;
    if (row._cb.checked !== sel) row._cb.checked = sel;
    if (row.classList.contains('selected') !== sel) row.classList.toggle('selected', sel);
    if (row._key === key) return;
    row._key = key;
    fitPins(row);
    row._item = item;
    if (row._id !== id) {
      row._id = id;
      row.classList.toggle('group-row', isGroup);
      row._cb.hidden = isGroup;
      row._copy.hidden = isGroup;
      if (isGroup) {
        row._a.textContent = `${item.g.value}`;
        row._a.removeAttribute('href');
        row._a.title = `${item.g.runs.length} runs`;
        row._name.title = groupKeys(state.groupBy).map((k, i) => `${k === 'dataset' ? 'dataset' : colLabel(k)} = ${item.g.parts[i]}`).join(', ');
      } else {
        const name = item.run.name;
        row._a.textContent = name;
        row._a.href = runHref(item.run.info.experiment_id, id);
        row._a.title = '';
        row._name.title = name;
        row._cb.setAttribute('aria-label', `Select ${name}`);
      }
    }
    const kids = isGroup ? item.g.runs.length : item.kids;
    row._tg.hidden = !kids;
    row._tg.textContent = open ? '▾' : '▸';
    row._tg.setAttribute('aria-label', `${open ? 'Collapse' : 'Expand'} ${isGroup ? 'group' : 'child runs'}`);
    row._tg.title = isGroup ? `${kids} runs` : `${kids} child run${kids === 1 ? '' : 's'}`;
    const indent = `${8 + item.depth * 18 + (kids ? 0 : 18)}px`;
    if (row._name.style.paddingLeft !== indent) row._name.style.paddingLeft = indent;
    if (isGroup) row._a.dataset.count = String(item.g.runs.length);
    const text = (col) => (isGroup ? groupCellText(item.g, col, state.groupBy, state.groupAgg) : [String(cellText(item.run, col)), '']);
    layout.pins.forEach((p, k) => { const [t, ti] = text(p.col); setCell(row._pins[k], p.col, t, ti); });
    const gw = `${(a < layout.cols.length ? layout.offs[a] : layout.total) - layout.pinnedW}px`;
    if (row._gap.style.width !== gw) row._gap.style.width = gw;
    const n = b - a;
    while (row._cells.length < n) {
      const c = h('div', { class: 'vt-cell' });
      row._cells.push(c);
      row.appendChild(c);
    }
    while (row._cells.length > n) row.removeChild(row._cells.pop());
    for (let k = 0; k < n; k++) {
      const col = layout.cols[a + k];
      const c = row._cells[k];
      // Only what changed is written: a class or style write costs a style recalculation.
      const cw = `${colWidth(col)}px`;
      if (c.style.width !== cw) c.style.width = cw;
      const [t, ti] = text(col);
      setCell(c, col, t, ti);
    }
  }

  body.addEventListener('change', (e) => {
    const row = e.target.closest('.vt-row');
    if (!row || e.target !== row._cb || !row._item || row._item.t !== 'run') return;
    if (e.target.checked) state.selected.add(row._id); else state.selected.delete(row._id);
    row.classList.toggle('selected', e.target.checked);
    selectionChanged();
  });
  body.addEventListener('click', (e) => {
    const row = e.target.closest('.vt-row');
    if (!row || !row._item) return;
    if (e.target === row._tg) {
      e.preventDefault();
      const it = row._item;
      const set = it.t === 'group' ? state.openGroups : state.expanded;
      const k = it.t === 'group' ? it.g.value : it.run.id;
      if (set.has(k)) set.delete(k); else set.add(k);
      if (it.t === 'run') setQuery({ expanded: [...state.expanded].join(',') || null });
      rebuildRows();
    } else if (e.target === row._copy && row._item.t === 'run') {
      e.preventDefault();
      copyText(row._item.run.id).then((ok) => toast(ok ? 'Copied run ID' : 'Could not copy'));
    }
  });

  function renderBody() {
    if (!layout) return;
    const n = state.rows.length;
    body.style.height = `${n * ROW_H}px`;
    body.style.width = `${layout.total}px`;
    const top = Math.max(0, scroller.scrollTop - HEAD_H);
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const lastRow = Math.min(n, Math.ceil((top + scroller.clientHeight) / ROW_H) + OVERSCAN);
    const [a, b] = visibleCols();
    const key = `${first}:${lastRow}:${a}:${b}:${n}`;
    renderHeadCols();
    if (key === last) return;
    last = key;
    // first is even, so :nth-child stripes stay with their rows as the window moves.
    const from = first - (first % 2);
    const size = lastRow - from;
    while (rowPool.length < size) rowPool.push(makeRow());
    win.style.transform = `translateY(${from * ROW_H}px)`;
    win.style.width = `${layout.total}px`;
    for (let k = 0; k < size; k++) {
      const row = rowPool[k];
      fillRow(row, state.rows[from + k], a, b);
      if (row.parentNode !== win) win.appendChild(row);
    }
    for (let k = size; k < rowPool.length; k++) if (rowPool[k].parentNode === win) win.removeChild(rowPool[k]);
    // Near the end of what is loaded: fetch the next page.
    if (state.token && !state.loading && !state.groupBy && lastRow > n - 3 * OVERSCAN) loadPage();
  }

  let raf = 0;
  scroller.addEventListener('scroll', () => {
    if (raf) return;
    raf = requestAnimationFrame(() => {
      raf = 0;
      renderBody();
    });
  }, { passive: true });
  const ro = new ResizeObserver(() => { last = ''; headRange = ''; if (layout) renderBody(); });
  ro.observe(scroller);

  // ---- the rows shown: runs with their children under them, or groups ----
  function rebuildRows() {
    const rows = [];
    if (state.groupBy) {
      state.groups = groupRuns(state.runs, state.groupBy, state.order, state.groupAgg);
      for (const g of state.groups) {
        rows.push({ t: 'group', g, depth: 0 });
        if (state.openGroups.has(g.value)) for (const run of g.runs) rows.push({ t: 'run', run, depth: 1, kids: 0 });
      }
    } else {
      state.groups = null;
      const kids = new Map();
      const top = [];
      for (const r of state.runs) {
        const p = r.t['mlflow.parentRunId'];
        if (p && p !== r.id && state.byId.has(p)) {
          if (!kids.has(p)) kids.set(p, []);
          kids.get(p).push(r);
        } else top.push(r);
      }
      const seen = new Set();
      const walk = (r, depth) => {
        if (seen.has(r.id)) return;
        seen.add(r.id);
        const ks = kids.get(r.id) || [];
        rows.push({ t: 'run', run: r, depth, kids: ks.length });
        if (ks.length && state.expanded.has(r.id)) for (const k of ks) walk(k, depth + 1);
      };
      for (const r of top) walk(r, 0);
    }
    state.rows = rows;
    resetRows();
    renderBody();
    updateCount();
    if (state.mode === 'CHART') updateCharts();
  }

  function regroup() {
    state.openGroups.clear();
    if (state.groupBy && state.token) loadAll();
    else rebuildRows();
  }

  function fillGroupChoices() {
    const [cur = '', cur2 = ''] = groupKeys(state.groupBy);
    const options = (none, want) => {
      const opts = [h('option', { value: '' }, none)];
      if (state.datasets.size) opts.push(h('option', { value: 'dataset' }, 'Dataset'));
      for (const k of [...state.keys.param].sort()) opts.push(h('option', { value: `param:${k}` }, `Param: ${k}`));
      for (const k of [...state.keys.tag].sort()) opts.push(h('option', { value: `tag:${k}` }, `Tag: ${k}`));
      if (want && !opts.some((o) => o.value === want)) opts.push(h('option', { value: want }, want === 'dataset' ? 'Dataset' : colLabel(want)));
      return opts;
    };
    clear(groupSel).append(...options('None', cur));
    groupSel.value = cur;
    clear(groupSel2).append(...options('then by…', cur2));
    groupSel2.value = cur2;
  }

  function selectionChanged() {
    const n = state.selected.size;
    compareBtn.disabled = n < 2 || n > 100;
    compareBtn.textContent = n ? `Compare (${n})` : 'Compare';
    compareBtn.title = n > 100 ? 'Compare takes 2 to 100 runs' : '';
    delBtn.disabled = n === 0 || delBtn.dataset.denied === '1';
    restoreBtn.disabled = n === 0 || restoreBtn.dataset.denied === '1';
    if (state.mode === 'CHART') updateCharts();
  }

  function updateCount() {
    const n = state.runs.length;
    const g = state.groups ? ` in ${state.groups.length} group${state.groups.length === 1 ? '' : 's'}` : '';
    count.textContent = `${n.toLocaleString('en-US')} run${n === 1 ? '' : 's'}${g}${state.token ? ' loaded, more available' : ''}`;
    loadAllBtn.hidden = !state.token;
    const none = n === 0 && !state.loading;
    emptyMsg.hidden = !none;
    tableBox.classList.toggle('is-empty', none);
    if (none) {
      clear(emptyMsg).append(effectiveFilter() || state.view !== 'ACTIVE_ONLY'
        ? h('p', null, 'No runs match.', ' ', h('span', { class: 'muted' }, 'Change the filter or the time range to see more.'))
        : h('p', null, 'No runs in this experiment yet. ', h('span', { class: 'muted' }, 'Log one with mlflow.start_run() and it appears here.')));
    }
  }

  function noteKeys(runs) {
    let changed = false;
    for (const run of runs) {
      for (const k in run.m) if (!state.keys.metric.has(k)) { state.keys.metric.add(k); changed = true; }
      for (const [kind, map] of [['param', run.p], ['tag', run.t]]) {
        for (const k in map) {
          if (!state.keys[kind].has(k)) { state.keys[kind].add(k); changed = true; }
          const vk = `${kind}:${k}`;
          let s = state.values.get(vk);
          if (!s) state.values.set(vk, (s = new Set()));
          if (s.size < 200) s.add(map[k]);
        }
      }
      for (const d of run.ds) if (!state.datasets.has(d)) { state.datasets.add(d); changed = true; }
    }
    return changed;
  }

  function searchBody(extra) {
    return {
      experiment_ids: expIds,
      filter: effectiveFilter(),
      run_view_type: state.view,
      max_results: PAGE,
      order_by: [`${colOrder(state.order.col)} ${state.order.asc ? 'ASC' : 'DESC'}`],
      ...extra,
    };
  }

  async function loadPage() {
    const gen = state.gen;
    state.loading = true;
    const body = searchBody(state.token ? { page_token: state.token } : {});
    try {
      const r = await mlflow('POST', 'runs/search', body);
      if (gen !== state.gen) return;
      // A search that works clears the error an earlier one left.
      if (filterFailed) { hideError(); filterFailed = false; }
      const runs = (r.runs || []).map(prepare);
      const newKeys = noteKeys(runs);
      for (const run of runs) state.byId.set(run.id, run);
      state.runs.push(...runs);
      state.token = r.next_page_token || null;
      state.loading = false;
      if (newKeys) fillGroupChoices();
      if (!layout || (newKeys && !state.columns)) computeLayout();
      rebuildRows();
    } catch (e) {
      if (gen === state.gen) {
        state.loading = false;
        state.token = null;
        updateCount();
        filterFailed = true;
        showError(e);
      }
    }
  }
  let filterFailed = false;

  async function loadAll() {
    loadAllBtn.disabled = true;
    const gen = state.gen;
    while (state.token && gen === state.gen) {
      if (state.loading) await new Promise((r) => setTimeout(r, 30));
      else await loadPage();
    }
    loadAllBtn.disabled = false;
  }

  function reload() {
    state.gen++;
    state.runs = [];
    state.byId = new Map();
    state.token = null;
    state.loading = false;
    state.selected.clear();
    selectionChanged();
    scroller.scrollTop = 0;
    resetRows();
    restoreBtn.hidden = state.view === 'ACTIVE_ONLY';
    delBtn.hidden = state.view === 'DELETED_ONLY';
    state.rows = [];
    if (layout) { renderHead(); renderBody(); }
    loadPage().then(() => { if (state.groupBy && state.token) loadAll(); });
  }

  function sortBy(col) {
    if (state.order.col === col) state.order.asc = !state.order.asc;
    else state.order = { col, asc: colKind(col) !== 'metric' && col !== 'attr:start_time' };
    saveView(true);
    headRange = '';
    renderHead();
    reload();
  }

  function compare() {
    const ids = [...state.selected];
    location.hash = `#/compare-runs?runs=${encodeURIComponent(JSON.stringify(ids))}&experiments=${encodeURIComponent(JSON.stringify(expIds))}`;
  }

  async function lifecycle(del) {
    const ids = [...state.selected];
    const verb = del ? 'Delete' : 'Restore';
    if (!(await confirmAction(`${verb} runs`, `${verb} ${ids.length} run${ids.length === 1 ? '' : 's'}?`, verb, del))) return;
    try {
      await pool(ids, 6, (id) => mlflow('POST', del ? 'runs/delete' : 'runs/restore', { run_id: id }));
      toast(`${del ? 'Deleted' : 'Restored'} ${ids.length} run${ids.length === 1 ? '' : 's'}`);
      reload();
    } catch (e) {
      showError(e);
    }
  }

  // The server writes the CSV (every matching run, page by page, as the browser saves it):
  // the columns of the table, in its order, with the run's name and ID first.
  function csvUrl(withColumns) {
    const p = new URLSearchParams();
    for (const id of expIds) p.append('experiment_ids', id);
    const f = effectiveFilter();
    if (f) p.set('filter', f);
    p.set('run_view_type', state.view);
    p.append('order_by', `${colOrder(state.order.col)} ${state.order.asc ? 'ASC' : 'DESC'}`);
    if (withColumns) {
      const cols = [...new Set(['attr:run_name', 'attr:run_id', ...layout.pins.map((x) => x.col), ...layout.cols])];
      for (const c of cols) {
        const kind = colKind(c);
        if (kind === 'attr') { if (CSV_ATTR[c]) p.append('columns', `attributes.${CSV_ATTR[c]}`); }
        else p.append('columns', `${kind === 'metric' ? 'metrics' : kind === 'param' ? 'params' : 'tags'}.${colKey(c)}`);
      }
    }
    return `${BASE}ajax-api/2.0/mltrack/runs/export-csv?${p}`;
  }

  function downloadCsv() {
    let url = csvUrl(true);
    // A very long column list would not fit a URL: then every column.
    if (url.length > 30000) url = csvUrl(false);
    const a = document.createElement('a');
    a.href = url;
    a.download = 'runs.csv';
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  async function pickColumns() {
    const chosen = new Set(columns());
    const filter = h('input', { type: 'search', placeholder: 'Filter columns', class: 'grow' });
    const groups = [
      ['Attributes', ATTRS.filter((a) => a.id !== 'attr:run_name').map((a) => a.id)],
      ['Metrics', [...state.keys.metric].sort().map((k) => `metric:${k}`)],
      ['Parameters', [...state.keys.param].sort().map((k) => `param:${k}`)],
      ['Tags', [...state.keys.tag].sort().map((k) => `tag:${k}`)],
    ];
    const boxes = [];
    const lists = groups.map(([name, ids]) => h('div', { class: 'col-group' },
      h('h4', null, name, ' ', h('span', { class: 'muted' }, `(${ids.length})`)),
      ids.length ? ids.map((id) => {
        const cb = h('input', { type: 'checkbox', checked: chosen.has(id) });
        const lab = h('label', { class: 'col-choice', dataset: { name: colLabel(id).toLowerCase() } }, cb, ' ', colLabel(id));
        boxes.push([id, cb, lab]);
        return lab;
      }) : h('span', { class: 'muted' }, 'none')));
    filter.addEventListener('input', () => {
      const f = filter.value.toLowerCase();
      for (const [, , lab] of boxes) lab.hidden = f !== '' && !lab.dataset.name.includes(f);
    });
    const setAll = (v) => { for (const [, cb, lab] of boxes) if (!lab.hidden) cb.checked = v; };
    const bodyEl = h('div', { class: 'col-picker' },
      h('div', { class: 'toolbar' }, filter,
        h('button', { class: 'small', onclick: () => setAll(true) }, 'All shown'),
        h('button', { class: 'small', onclick: () => setAll(false) }, 'None')),
      h('div', { class: 'col-groups' }, lists));
    const r = await modal('Columns', bodyEl, [
      { label: 'Reset to default', value: 'reset' },
      { label: 'Cancel', value: null },
      { label: 'Apply', value: 'apply', primary: true },
    ]);
    if (r === 'reset') {
      state.columns = null;
      state.pinned = [];
      state.widths = {};
    } else if (r === 'apply') {
      // Keep the previous order for columns that stay; new ones go to the end.
      const picked = new Set(boxes.filter(([, cb]) => cb.checked).map(([id]) => id));
      const cols = columns().filter((c) => picked.has(c));
      for (const [id] of boxes) if (picked.has(id) && !cols.includes(id)) cols.push(id);
      state.columns = cols;
      state.pinned = state.pinned.filter((c) => picked.has(c));
    } else return;
    saveColumns();
    headRange = '';
    computeLayout();
    renderBody();
  }

  // ---- the chart view ----
  let chartView = null;
  function setMode(m, save = true) {
    state.mode = m;
    for (const b of modeBtns.children) b.classList.toggle('active', b.dataset.mode === m);
    tableBox.hidden = m !== 'TABLE';
    chartBox.hidden = m !== 'CHART';
    if (save) saveView(true);
    if (m === 'CHART') {
      if (!chartView) chartView = new ChartView(chartBox, { q, storeKey, onRunsShown: (n) => { state.chartRuns = n; saveView(false); updateCharts(); } });
      updateCharts();
    } else if (chartView) {
      chartView.destroy();
      chartView = null;
    }
  }

  // The runs charted: the ticked ones, else the first N of the table (when grouped, taken
  // from the groups in turn, so every group is drawn).
  function chartRuns() {
    const n = state.chartRuns;
    if (state.selected.size) return state.runs.filter((r) => state.selected.has(r.id)).slice(0, 100);
    if (state.groups) {
      const out = [];
      const lists = state.groups.map((g) => g.runs.slice());
      for (let k = 0; out.length < n && lists.some((l) => k < l.length); k++)
        for (const l of lists) if (k < l.length && out.length < n && !out.includes(l[k])) out.push(l[k]);
      return out;
    }
    return state.rows.filter((x) => x.t === 'run').map((x) => x.run).slice(0, n);
  }

  function updateCharts() {
    if (!chartView) return;
    const runs = chartRuns();
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r.m)))].sort();
    const groups = state.groups ? state.groups.map((g) => ({ label: `${g.value}`, agg: state.groupAgg, runIds: g.runs.filter((r) => runs.includes(r)).map((r) => r.id) }))
      .filter((g) => g.runIds.length) : null;
    chartView.update(runs.map((r) => ({ id: r.id, name: r.name, m: r.m })), keys, groups, state.chartRuns);
  }

  // ---- live: refresh running runs (and find new ones) every few seconds ----
  let timer = 0;
  function startRefresh() {
    clearInterval(timer);
    if (state.refresh > 0) timer = setInterval(refreshTick, state.refresh * 1000);
  }
  let ticking = false;
  async function refreshTick() {
    if (ticking || document.hidden || state.loading) return;
    ticking = true;
    const gen = state.gen;
    try {
      const running = state.runs.filter((r) => r.info.status === 'RUNNING').slice(0, 100).map((r) => r.id);
      let changed = false;
      if (running.length) {
        const r = await mlflow('POST', 'runs/search', { experiment_ids: expIds, run_view_type: 'ALL', max_results: 100,
          filter: `attributes.run_id IN (${running.map(quote).join(', ')})` });
        if (gen !== state.gen) return;
        for (const fresh of (r.runs || []).map(prepare)) {
          const i = state.runs.findIndex((x) => x.id === fresh.id);
          if (i >= 0) { state.runs[i] = fresh; state.byId.set(fresh.id, fresh); changed = true; }
        }
        noteKeys(state.runs.filter((x) => running.includes(x.id)));
      }
      // New runs, when the table is in its default order (newest first).
      if (state.order.col === 'attr:start_time' && !state.order.asc && state.runs.length) {
        const newest = Math.max(...state.runs.slice(0, 50).map((r) => Number(r.info.start_time) || 0));
        const f = [effectiveFilter(), `attributes.start_time > ${newest}`].filter(Boolean).join(' and ');
        const r = await mlflow('POST', 'runs/search', searchBody({ filter: f, max_results: 100 }));
        if (gen !== state.gen) return;
        const fresh = (r.runs || []).map(prepare).filter((x) => !state.byId.has(x.id));
        if (fresh.length) {
          noteKeys(fresh);
          for (const x of fresh) state.byId.set(x.id, x);
          state.runs.unshift(...fresh);
          changed = true;
        }
      }
      if (changed) {
        rebuildRows();
        if (chartView) chartView.refresh(new Set(running));
      }
    } catch { /* the next tick tries again */ } finally {
      ticking = false;
    }
  }

  fillGroupChoices();
  updateCount();
  reload();
  setMode(state.mode, false);
  startRefresh();
  return () => {
    state.gen++;
    ro.disconnect();
    clearInterval(timer);
    if (raf) cancelAnimationFrame(raf);
    if (chartView) chartView.destroy();
  };
}
