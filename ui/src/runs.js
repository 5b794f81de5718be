// The runs table for one or several experiments: MLflow's filter grammar, server-side
// sorting and paging by page token (pages are appended as you scroll, so no row is lost
// or repeated), a column picker over attributes, params, latest metrics and tags that is
// remembered per experiment, selection for compare/delete/restore. Rows and columns are
// virtualised: only the cells in view exist in the DOM, so 10,000 runs with hundreds of
// columns scroll as smoothly as 10.
import { h, clear, fmtTime, fmtDuration, fmtNum, confirmAction, modal, showError, toast, empty } from './dom.js';
import { mlflow, ident, pool } from './api.js';
import { gate } from './access.js';

const ROW_H = 30;
const HEAD_H = 34;
const OVERSCAN = 8;
const PAGE = 1000;

const ATTRS = [
  { id: 'attr:run_name', label: 'Run name', order: 'attributes.run_name', w: 220 },
  { id: 'attr:start_time', label: 'Created', order: 'attributes.start_time', w: 175 },
  { id: 'attr:duration', label: 'Duration', w: 90 },
  { id: 'attr:user_id', label: 'User', order: 'attributes.user_id', w: 110 },
  { id: 'attr:status', label: 'Status', order: 'attributes.status', w: 100 },
  { id: 'attr:source', label: 'Source', w: 160 },
  { id: 'attr:end_time', label: 'Ended', order: 'attributes.end_time', w: 175 },
  { id: 'attr:run_id', label: 'Run ID', w: 260 },
  { id: 'attr:experiment_id', label: 'Experiment', w: 110 },
  { id: 'attr:lifecycle_stage', label: 'Lifecycle', w: 90 },
];
const ATTR_BY_ID = Object.fromEntries(ATTRS.map((a) => [a.id, a]));

function colLabel(id) {
  if (ATTR_BY_ID[id]) return ATTR_BY_ID[id].label;
  const i = id.indexOf(':');
  return id.slice(i + 1);
}

function colKind(id) {
  return id.slice(0, id.indexOf(':'));
}

function colOrder(id) {
  const kind = colKind(id);
  const key = id.slice(kind.length + 1);
  if (kind === 'attr') return ATTR_BY_ID[id] && ATTR_BY_ID[id].order;
  if (kind === 'metric') return `metrics.${ident(key)}`;
  if (kind === 'param') return `params.${ident(key)}`;
  if (kind === 'tag') return `tags.${ident(key)}`;
  return null;
}

function colWidth(id) {
  if (ATTR_BY_ID[id]) return ATTR_BY_ID[id].w;
  return 130;
}

// A run with lookup maps for its params, latest metrics and tags.
function prepare(r) {
  const d = r.data || {};
  const m = {}, p = {}, t = {};
  for (const x of d.metrics || []) m[x.key] = x.value;
  for (const x of d.params || []) p[x.key] = x.value;
  for (const x of d.tags || []) t[x.key] = x.value;
  return { info: r.info, m, p, t };
}

function cellText(run, id) {
  const kind = colKind(id);
  const key = id.slice(kind.length + 1);
  const i = run.info;
  if (kind === 'metric') return key in run.m ? fmtNum(run.m[key]) : '';
  if (kind === 'param') return run.p[key] ?? '';
  if (kind === 'tag') return run.t[key] ?? '';
  switch (key) {
    case 'run_name': return i.run_name || run.t['mlflow.runName'] || i.run_id;
    case 'start_time': return fmtTime(i.start_time);
    case 'end_time': return fmtTime(i.end_time);
    case 'duration': return i.start_time ? fmtDuration((i.end_time || (i.status === 'RUNNING' ? Date.now() : i.start_time)) - i.start_time) : '';
    case 'user_id': return i.user_id || run.t['mlflow.user'] || '';
    case 'status': return i.status || '';
    case 'source': {
      const s = run.t['mlflow.source.name'] || '';
      return s.split(/[\\/]/).pop();
    }
    case 'run_id': return i.run_id;
    case 'experiment_id': return i.experiment_id;
    case 'lifecycle_stage': return i.lifecycle_stage;
    default: return '';
  }
}

export async function runsPage(root, expIds, q) {
  const storeKey = `mltrack.columns.${[...expIds].sort().join(',')}`;
  const state = {
    filter: q.get('filter') || '',
    order: { col: 'attr:start_time', asc: false },
    view: 'ACTIVE_ONLY',
    runs: [],
    token: null,
    loading: false,
    selected: new Set(),
    keys: { metric: new Set(), param: new Set(), tag: new Set() },
    columns: null,
    gen: 0,
  };
  try {
    const saved = JSON.parse(localStorage.getItem(storeKey) || 'null');
    if (Array.isArray(saved) && saved.every((x) => typeof x === 'string')) state.columns = saved;
  } catch { /* a corrupt entry means defaults */ }

  // ---- head ----
  const title = h('h1', null, expIds.length > 1 ? `${expIds.length} experiments` : 'Experiment');
  const sub = h('div', { class: 'muted' });
  const filterIn = h('input', { type: 'search', class: 'grow mono', value: state.filter, 'aria-label': 'Filter runs',
    placeholder: "Filter: metrics.rmse < 1 and params.model = 'tree' and tags.team = 'x' and attributes.status = 'FINISHED'" });
  const searchBtn = h('button', { class: 'primary', onclick: () => { state.filter = filterIn.value.trim(); reload(); } }, 'Search');
  filterIn.addEventListener('keydown', (e) => { if (e.key === 'Enter') searchBtn.click(); });
  const viewSel = h('select', { 'aria-label': 'Lifecycle', onchange: (e) => { state.view = e.target.value; reload(); } },
    h('option', { value: 'ACTIVE_ONLY' }, 'Active runs'), h('option', { value: 'DELETED_ONLY' }, 'Deleted runs'), h('option', { value: 'ALL' }, 'All runs'));
  const colsBtn = h('button', { onclick: pickColumns }, 'Columns');
  const compareBtn = h('button', { disabled: true, onclick: compare }, 'Compare');
  const delBtn = h('button', { class: 'danger needs-manage', disabled: true, onclick: () => lifecycle(true) }, 'Delete');
  const restoreBtn = h('button', { class: 'needs-manage', disabled: true, hidden: true, onclick: () => lifecycle(false) }, 'Restore');
  // Deleting runs needs MANAGE on their experiment (a hint; the server decides).
  if (expIds.length === 1) gate(root, 'experiment', expIds[0], 'MANAGE', '.needs-manage');
  const count = h('span', { class: 'muted count' });
  const loadAllBtn = h('button', { class: 'small', hidden: true, onclick: loadAll }, 'Load all');

  // ---- the virtual table ----
  const head = h('div', { class: 'vt-head', style: { height: `${HEAD_H}px` } });
  const body = h('div', { class: 'vt-body' });
  const scroller = h('div', { class: 'vt', tabIndex: 0, 'aria-label': 'Runs' }, head, body);
  const emptyMsg = h('div', { class: 'vt-empty muted', hidden: true }, 'No runs match.');

  root.append(
    h('div', { class: 'page-head' }, title, sub),
    h('div', { class: 'toolbar' }, filterIn, searchBtn, viewSel),
    h('div', { class: 'toolbar' }, colsBtn, compareBtn, delBtn, restoreBtn, count, loadAllBtn),
    scroller, emptyMsg);

  // Experiment names for the title.
  mlflow('GET', 'experiments/get', { experiment_id: expIds[0] }).then((r) => {
    if (expIds.length === 1) {
      title.textContent = r.experiment.name;
      sub.textContent = `Experiment ${r.experiment.experiment_id} · ${r.experiment.artifact_location || ''}`;
      document.title = `${r.experiment.name} · mltrack`;
    }
  }).catch(showError);
  if (expIds.length > 1) {
    pool(expIds, 4, (id) => mlflow('GET', 'experiments/get', { experiment_id: id }).then((r) => r.experiment.name).catch(() => id))
      .then((names) => { sub.textContent = names.join(', '); });
  }

  let layout = null; // {cols, pinned, offs, total}
  let last = '';

  function columns() {
    if (state.columns) return state.columns;
    const cols = ['attr:start_time', 'attr:duration', 'attr:user_id', 'attr:status', 'attr:source'];
    if (expIds.length > 1) cols.push('attr:experiment_id');
    [...state.keys.metric].sort().slice(0, 12).forEach((k) => cols.push(`metric:${k}`));
    [...state.keys.param].sort().slice(0, 12).forEach((k) => cols.push(`param:${k}`));
    return cols;
  }

  function computeLayout() {
    const cols = columns().filter((c) => c !== 'attr:run_name');
    const pinnedW = 36 + 220;
    const offs = [];
    let x = pinnedW;
    for (const c of cols) {
      offs.push(x);
      x += colWidth(c);
    }
    layout = { cols, pinnedW, offs, total: x };
    last = '';
    rowPool.forEach((r) => { r._key = ''; r._id = null; });
    renderHead();
  }

  function sortMark(col) {
    if (state.order.col !== col) return '';
    return state.order.asc ? ' ▲' : ' ▼';
  }

  function headCell(col, w, extra) {
    const order = colOrder(col);
    const kind = colKind(col);
    return h('div', {
      class: `vt-cell vt-th ${kind}${order ? ' sortable' : ''}${extra || ''}`,
      style: { width: `${w}px` },
      title: order ? `${colLabel(col)} (${kind}) — click to sort` : colLabel(col),
      dataset: { col },
      onclick: order ? () => sortBy(col) : undefined,
    }, kind === 'attr' ? '' : h('span', { class: 'kind' }, kind === 'metric' ? 'M' : kind === 'param' ? 'P' : 'T'), colLabel(col) + sortMark(col));
  }

  let headCb = null;
  function renderHead() {
    clear(head);
    head.style.width = `${layout.total}px`;
    headCb = h('input', { type: 'checkbox', 'aria-label': 'Select all loaded runs', onchange: (e) => {
      state.selected.clear();
      if (e.target.checked) state.runs.forEach((r) => state.selected.add(r.info.run_id));
      selectionChanged();
      last = '';
      rowPool.forEach((r) => { r._key = ''; r._id = null; });
      renderBody();
    } });
    head.append(
      h('div', { class: 'vt-cell vt-th pin', style: { width: '36px', left: '0px' } }, headCb),
      headCell('attr:run_name', 220, ' pin pin2'),
      h('div', { class: 'vt-gap', dataset: { gap: '1' } }));
    renderHeadCols();
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
    if (key === headRange && head.childNodes.length > 3) return;
    headRange = key;
    while (head.childNodes.length > 3) head.removeChild(head.lastChild);
    head.childNodes[2].style.width = `${(a < layout.cols.length ? layout.offs[a] : layout.total) - layout.pinnedW}px`;
    for (let c = a; c < b; c++) head.appendChild(headCell(layout.cols[c], colWidth(layout.cols[c])));
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
    const a = h('a', { class: 'run-link' });
    const row = h('div', { class: 'vt-row' },
      h('div', { class: 'vt-cell pin', style: { width: '36px' } }, cb),
      h('div', { class: 'vt-cell pin pin2 name', style: { width: '220px' } }, a),
      h('div', { class: 'vt-gap' }));
    row._cb = cb;
    row._a = a;
    row._gap = row.childNodes[2];
    row._cells = [];
    return row;
  }

  function fillRow(row, run, a, b) {
    const id = run.info.run_id;
    const sel = state.selected.has(id);
    const key = `${id}:${a}:${b}:${layout.total}`;
    if (row._cb.checked !== sel) row._cb.checked = sel;
    if (row.classList.contains('selected') !== sel) row.classList.toggle('selected', sel);
    if (row._key === key) return;
    row._key = key;
    if (row._id !== id) {
      const name = cellText(run, 'attr:run_name');
      row._id = id;
      row._a.textContent = name;
      row._a.href = `#/runs/${encodeURIComponent(id)}`;
      row._a.parentNode.title = name;
      row._cb.setAttribute('aria-label', `Select ${name}`);
    }
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
      const t = String(cellText(run, col));
      const c = row._cells[k];
      // Only what changed is written: a class or style write costs a style recalculation.
      const cls = `vt-cell${colKind(col) === 'metric' ? ' num' : ''}${col === 'attr:status' ? ` status-${t.toLowerCase()}` : ''}`;
      if (c.className !== cls) c.className = cls;
      const cw = `${colWidth(col)}px`;
      if (c.style.width !== cw) c.style.width = cw;
      if (c.textContent !== t) {
        c.textContent = t;
        c.title = t;
      }
    }
  }

  body.addEventListener('change', (e) => {
    const row = e.target.closest('.vt-row');
    if (!row || e.target !== row._cb) return;
    if (e.target.checked) state.selected.add(row._id); else state.selected.delete(row._id);
    row.classList.toggle('selected', e.target.checked);
    selectionChanged();
  });

  function renderBody() {
    if (!layout) return;
    const n = state.runs.length;
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
    // first is even, so :nth-child stripes stay with their runs as the window moves.
    const from = first - (first % 2);
    const size = lastRow - from;
    while (rowPool.length < size) rowPool.push(makeRow());
    win.style.transform = `translateY(${from * ROW_H}px)`;
    win.style.width = `${layout.total}px`;
    for (let k = 0; k < size; k++) {
      const row = rowPool[k];
      fillRow(row, state.runs[from + k], a, b);
      if (row.parentNode !== win) win.appendChild(row);
    }
    for (let k = size; k < rowPool.length; k++) if (rowPool[k].parentNode === win) win.removeChild(rowPool[k]);
    // Near the end of what is loaded: fetch the next page.
    if (state.token && !state.loading && lastRow > n - 3 * OVERSCAN) loadPage();
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

  function selectionChanged() {
    const n = state.selected.size;
    compareBtn.disabled = n < 2 || n > 100;
    compareBtn.textContent = n ? `Compare (${n})` : 'Compare';
    compareBtn.title = n > 100 ? 'Compare takes 2 to 100 runs' : '';
    delBtn.disabled = n === 0 || delBtn.dataset.denied === '1';
    restoreBtn.disabled = n === 0 || restoreBtn.dataset.denied === '1';
  }

  function updateCount() {
    const n = state.runs.length;
    count.textContent = `${n.toLocaleString('en-US')} run${n === 1 ? '' : 's'}${state.token ? ' loaded, more available' : ''}`;
    loadAllBtn.hidden = !state.token;
    emptyMsg.hidden = n > 0 || state.loading;
  }

  async function loadPage() {
    const gen = state.gen;
    state.loading = true;
    const body = {
      experiment_ids: expIds,
      filter: state.filter,
      run_view_type: state.view,
      max_results: PAGE,
      order_by: [`${colOrder(state.order.col)} ${state.order.asc ? 'ASC' : 'DESC'}`],
    };
    if (state.token) body.page_token = state.token;
    try {
      const r = await mlflow('POST', 'runs/search', body);
      if (gen !== state.gen) return;
      const runs = (r.runs || []).map(prepare);
      let newKeys = false;
      for (const run of runs) {
        for (const k in run.m) if (!state.keys.metric.has(k)) { state.keys.metric.add(k); newKeys = true; }
        for (const k in run.p) if (!state.keys.param.has(k)) { state.keys.param.add(k); newKeys = true; }
        for (const k in run.t) if (!state.keys.tag.has(k)) { state.keys.tag.add(k); newKeys = true; }
      }
      state.runs.push(...runs);
      state.token = r.next_page_token || null;
      state.loading = false;
      if (!layout || (newKeys && !state.columns)) computeLayout();
      last = '';
      renderBody();
      updateCount();
    } catch (e) {
      if (gen === state.gen) {
        state.loading = false;
        state.token = null;
        updateCount();
        showError(e);
      }
    }
  }

  async function loadAll() {
    loadAllBtn.disabled = true;
    while (state.token) {
      if (state.loading) await new Promise((r) => setTimeout(r, 30));
      else await loadPage();
    }
    loadAllBtn.disabled = false;
  }

  function reload() {
    state.gen++;
    state.runs = [];
    state.token = null;
    state.loading = false;
    state.selected.clear();
    selectionChanged();
    scroller.scrollTop = 0;
    last = '';
    rowPool.forEach((r) => { r._key = ''; r._id = null; });
    restoreBtn.hidden = state.view === 'ACTIVE_ONLY';
    delBtn.hidden = state.view === 'DELETED_ONLY';
    if (layout) { renderHead(); renderBody(); }
    loadPage();
  }

  function sortBy(col) {
    if (state.order.col === col) state.order.asc = !state.order.asc;
    else state.order = { col, asc: colKind(col) !== 'metric' && col !== 'attr:start_time' };
    headRange = '';
    renderHead();
    reload();
  }

  function compare() {
    const ids = [...state.selected];
    location.hash = `#/compare?runs=${ids.map(encodeURIComponent).join(',')}`;
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
      localStorage.removeItem(storeKey);
    } else if (r === 'apply') {
      // Keep the previous order for columns that stay; new ones go to the end.
      const picked = new Set(boxes.filter(([, cb]) => cb.checked).map(([id]) => id));
      const cols = columns().filter((c) => picked.has(c));
      for (const [id] of boxes) if (picked.has(id) && !cols.includes(id)) cols.push(id);
      state.columns = cols;
      localStorage.setItem(storeKey, JSON.stringify(cols));
    } else return;
    headRange = '';
    computeLayout();
    renderBody();
  }

  updateCount();
  reload();
  return () => {
    state.gen++;
    ro.disconnect();
    if (raf) cancelAnimationFrame(raf);
  };
}
