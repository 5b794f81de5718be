// The experiment's chart view: one chart per metric over the runs in view (the ticked
// runs, else the first N of the table), in sections by key prefix (train/, val/, system/),
// with a search over the charts; charts can be added (any metric, any x axis), removed,
// moved, resized and shown full screen; a metric with one value per run is a bar chart;
// runs can be hidden or given a colour; each chart's x axis can be the step, the time or
// another metric, with log scales, fixed axis ranges and "ignore outliers". When the table
// is grouped, each group is one line (the mean) with its min-max band. The layout lives
// in the URL (and is remembered per experiment).
import { h, clear, modal, empty } from './dom.js';
import { MetricChart, BarChart, colorFor } from './chart.js';
import { setQuery } from './url.js';

const SIZES = { 1: 'S', 2: 'M', 3: 'L' };
export const CHART_RUN_CHOICES = [10, 20, 50, 100];

export function sectionOf(key) {
  if (key.startsWith('system/')) return 'System metrics';
  const i = key.indexOf('/');
  return i > 0 ? `${key.slice(0, i)}/` : 'Model metrics';
}

function specId(s) {
  return s.id || s.key;
}

export class ChartView {
  // opts: {q (URLSearchParams), storeKey, onRunsShown(n)}
  constructor(container, opts) {
    this.opts = opts;
    const q = opts.q;
    let layout = null;
    try { layout = JSON.parse(q.get('charts') || localStorage.getItem(`${opts.storeKey}.charts`) || 'null'); } catch { layout = null; }
    this.layout = layout && Array.isArray(layout.charts) ? layout : { charts: [], removed: [] };
    this.layout.removed = this.layout.removed || [];
    this.search = q.get('chartSearch') || '';
    this.smoothing = Number(q.get('smoothing')) || 0;
    this.hiddenRuns = new Set((q.get('hide') || '').split(',').filter(Boolean));
    this.colors = {};
    for (const part of (q.get('colors') || '').split(',').filter(Boolean)) {
      const [id, c] = part.split(':');
      if (id && /^[0-9a-f]{6}$/i.test(c || '')) this.colors[id] = `#${c}`;
    }
    this.collapsed = new Set((q.get('collapsed') || '').split('|').filter(Boolean));
    this.charts = new Map(); // spec id -> chart
    this.runs = [];
    this.groups = null;
    this.keys = [];

    const searchIn = h('input', { type: 'search', class: 'grow', placeholder: 'Search charts (metric names)', 'aria-label': 'Search charts', value: this.search });
    searchIn.addEventListener('input', () => { this.search = searchIn.value; setQuery({ chartSearch: this.search || null }); this.render(); });
    const smLabel = h('span', { class: 'muted' }, String(this.smoothing));
    let smT = 0;
    const sm = h('input', { type: 'range', min: 0, max: 0.99, step: 0.01, value: this.smoothing, 'aria-label': 'Smoothing', oninput: (e) => {
      this.smoothing = Number(e.target.value);
      smLabel.textContent = String(this.smoothing);
      clearTimeout(smT);
      smT = setTimeout(() => { setQuery({ smoothing: this.smoothing || null }); this.charts.forEach((c) => c.setOptions({ smoothing: this.smoothing })); }, 250);
    } });
    this.nSel = h('select', { 'aria-label': 'Runs in the charts', onchange: (e) => opts.onRunsShown(Number(e.target.value)) },
      CHART_RUN_CHOICES.map((n) => h('option', { value: String(n) }, `First ${n} runs`)));
    this.runsNote = h('span', { class: 'muted small-text' });
    this.runList = h('div', { class: 'cv-runs' });
    this.grid = h('div', { class: 'cv-sections' });
    this.el = h('div', { class: 'chart-view' },
      h('div', { class: 'toolbar cv-toolbar' }, searchIn, this.nSel,
        h('label', null, 'Smoothing ', sm, ' ', smLabel),
        h('button', { onclick: () => this.addChart() }, 'Add chart'),
        h('button', { class: 'small', onclick: () => this.resetLayout() }, 'Reset layout'), this.runsNote),
      h('div', { class: 'cv-body' }, this.runList, this.grid));
    container.appendChild(this.el);
    this.io = new IntersectionObserver((entries) => {
      for (const e of entries) if (e.isIntersecting) this.materialize(e.target);
    }, { rootMargin: '300px' });
    this.onKey = (e) => { if (e.key === 'Escape') this.exitFullscreen(); };
    document.addEventListener('keydown', this.onKey);
  }

  saveLayout() {
    const s = JSON.stringify(this.layout);
    setQuery({ charts: s }, false);
    try { localStorage.setItem(`${this.opts.storeKey}.charts`, s); } catch { /* full storage: the URL still has it */ }
  }

  resetLayout() {
    this.layout = { charts: [], removed: [] };
    setQuery({ charts: null });
    try { localStorage.removeItem(`${this.opts.storeKey}.charts`); } catch { /* ignore */ }
    this.render();
  }

  // Every chart: the layout's, then one per metric key the layout does not mention.
  specs() {
    const out = this.layout.charts.slice();
    const have = new Set(out.map((s) => s.key));
    for (const k of this.keys) if (!have.has(k) && !this.layout.removed.includes(k)) out.push({ key: k });
    return out;
  }

  // runs: [{id, name, m (latest metrics)}] in chart order; groups: null or [{label, runIds}].
  update(runs, keys, groups, n) {
    // Pages arriving after the first leave the first N runs as they are: nothing to redo.
    const sig = JSON.stringify([runs.map((r) => r.id), keys, groups, n]);
    if (sig === this.sig) return;
    this.sig = sig;
    this.runs = runs;
    this.keys = keys;
    this.groups = groups;
    this.nSel.value = String(n);
    this.render();
  }

  colorOf(id, i) {
    return this.colors[id] || colorFor(i);
  }

  renderRuns() {
    clear(this.runList);
    this.runList.appendChild(h('div', { class: 'cv-runs-head muted small-text' }, this.groups ? `${this.groups.length} groups of ${this.runs.length} runs` : `${this.runs.length} runs`));
    this.runs.forEach((r, i) => {
      const vis = h('input', { type: 'checkbox', checked: !this.hiddenRuns.has(r.id), 'aria-label': `Show ${r.name}`, onchange: (e) => {
        if (e.target.checked) this.hiddenRuns.delete(r.id); else this.hiddenRuns.add(r.id);
        setQuery({ hide: [...this.hiddenRuns].join(',') || null });
        this.render();
      } });
      const col = h('input', { type: 'color', value: this.colorOf(r.id, i), 'aria-label': `Colour of ${r.name}`, onchange: (e) => {
        this.colors[r.id] = e.target.value;
        setQuery({ colors: Object.entries(this.colors).map(([id, c]) => `${id}:${c.slice(1)}`).join(',') || null });
        this.render();
      } });
      this.runList.appendChild(h('label', { class: `cv-run${this.hiddenRuns.has(r.id) ? ' off' : ''}`, dataset: { run: r.id } }, vis, col,
        h('span', { class: 'cv-run-name', title: r.name }, r.name)));
    });
  }

  // Which metric keys match the search: a substring, or /regex/.
  matches(key) {
    const s = this.search.trim();
    if (!s) return true;
    const re = /^\/(.+)\/$/.exec(s);
    if (re) {
      try { return new RegExp(re[1], 'i').test(key); } catch { return false; }
    }
    return key.toLowerCase().includes(s.toLowerCase());
  }

  render() {
    this.destroyCharts();
    this.renderRuns();
    clear(this.grid);
    const shown = this.runs.filter((r) => !this.hiddenRuns.has(r.id));
    this.runsNote.textContent = `${shown.length} of ${this.runs.length} runs shown`;
    if (!this.runs.length) return this.grid.appendChild(empty('No runs to chart.'));
    const specs = this.specs().filter((s) => this.matches(s.key));
    if (!specs.length) return this.grid.appendChild(empty(this.search ? 'No chart matches the search.' : 'These runs have no metrics.'));
    const sections = new Map();
    for (const s of specs) {
      const name = sectionOf(s.key);
      if (!sections.has(name)) sections.set(name, []);
      sections.get(name).push(s);
    }
    // MLflow's order: model metrics first, then the prefixes, system metrics last.
    const rank = (n) => (n === 'Model metrics' ? 0 : n === 'System metrics' ? 2 : 1);
    const ordered = [...sections.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
    for (const [name, list] of ordered) {
      const open = !this.collapsed.has(name);
      const body = h('div', { class: 'cv-grid', hidden: !open });
      const head = h('button', { class: 'link cv-section-head', 'aria-expanded': open ? 'true' : 'false', onclick: () => {
        if (this.collapsed.has(name)) this.collapsed.delete(name); else this.collapsed.add(name);
        setQuery({ collapsed: [...this.collapsed].join('|') || null });
        this.render();
      } }, `${open ? '▾' : '▸'} ${name}`, h('span', { class: 'muted' }, ` (${list.length})`));
      this.grid.appendChild(h('section', { class: 'cv-section', dataset: { section: name } }, head, body));
      if (!open) continue;
      for (const s of list) {
        const cell = h('div', { class: `cv-cell size-${s.size || 1}`, dataset: { key: s.key, id: specId(s) } });
        cell._spec = s;
        body.appendChild(cell);
        this.io.observe(cell);
      }
    }
  }

  // Builds a chart once its cell scrolls near the screen.
  materialize(cell) {
    this.io.unobserve(cell);
    const s = cell._spec;
    if (!s || this.charts.has(specId(s))) return;
    const tools = [
      h('button', { class: 'small', title: 'Chart settings', onclick: () => this.edit(s) }, 'Settings'),
      h('button', { class: 'small', title: 'Move earlier', 'aria-label': 'Move earlier', onclick: () => this.move(s, -1) }, '←'),
      h('button', { class: 'small', title: 'Move later', 'aria-label': 'Move later', onclick: () => this.move(s, 1) }, '→'),
      h('button', { class: 'small', title: 'Full screen', 'aria-label': 'Full screen', onclick: () => this.fullscreen(cell) }, 'Expand'),
      h('button', { class: 'small danger', title: 'Remove this chart', 'aria-label': 'Remove chart', onclick: () => this.remove(s) }, '×'),
    ];
    const visible = this.runs.map((r, i) => ({ r, i })).filter(({ r }) => !this.hiddenRuns.has(r.id));
    const withKey = visible.filter(({ r }) => s.key in r.m || (s.x && s.x.startsWith('metric:')));
    const title = s.x && s.x.startsWith('metric:') ? `${s.key} vs ${s.x.slice(7)}` : s.key;
    if (!withKey.length) {
      cell.appendChild(h('div', { class: 'chart' }, h('div', { class: 'chart-head' }, h('span', { class: 'chart-title' }, title), h('span', { class: 'chart-tools' }, tools)),
        empty('None of the runs shown has this metric.')));
      return;
    }
    const series = withKey.map(({ r, i }) => ({ runId: r.id, key: s.key, label: r.name, color: this.colorOf(r.id, i) }));
    let groups = null;
    if (this.groups) {
      const at = new Map(series.map((x, k) => [x.runId, k]));
      groups = this.groups.map((g, gi) => ({ label: g.label, agg: g.agg || 'mean', color: colorFor(gi), members: g.runIds.filter((id) => at.has(id)).map((id) => at.get(id)) }))
        .filter((g) => g.members.length);
    }
    const x = s.x || 'step';
    const chart = new MetricChart(cell, series, {
      title, tools, groups,
      xMode: x.startsWith('metric:') ? 'step' : x, xMetric: x.startsWith('metric:') ? x.slice(7) : null,
      log: !!s.ylog, xLog: !!s.xlog, yMin: s.ymin, yMax: s.ymax, xMin: s.xmin, xMax: s.xmax, outliers: !!s.outliers,
      smoothing: this.smoothing, height: s.size === 3 ? 360 : 240,
      onExact: (results) => {
        // One value per run: a bar chart says more than a dot per run.
        if (groups || x !== 'step' || !results.length || !results.every((r) => r && r.points_in_range <= 1)) return;
        chart.destroy();
        const bars = series.map((sr, k) => ({ label: sr.label, runId: sr.runId, color: sr.color, value: results[k].values.length ? Number(results[k].values[0]) : NaN }));
        const bar = new BarChart(cell, bars, { title, tools });
        this.charts.set(specId(s), bar);
      },
    });
    this.charts.set(specId(s), chart);
  }

  move(s, d) {
    const all = this.specs();
    const i = all.findIndex((x) => specId(x) === specId(s));
    const j = i + d;
    if (i < 0 || j < 0 || j >= all.length) return;
    [all[i], all[j]] = [all[j], all[i]];
    this.layout.charts = all;
    this.saveLayout();
    this.render();
  }

  remove(s) {
    const all = this.specs().filter((x) => specId(x) !== specId(s));
    if (!all.some((x) => x.key === s.key)) this.layout.removed.push(s.key);
    this.layout.charts = all;
    this.saveLayout();
    this.render();
  }

  fullscreen(cell) {
    this.exitFullscreen();
    cell.classList.add('fullscreen');
    const c = this.charts.get(cell.dataset.id);
    const close = h('button', { class: 'fs-close', onclick: () => this.exitFullscreen() }, 'Close full screen (Esc)');
    cell.prepend(close);
    this.fs = { cell, close };
    if (c) { c.el.classList.add('fullscreen'); c.u ? c.u.setSize({ width: c.width(), height: c.height() }) : c.draw && c.draw(); }
  }

  exitFullscreen() {
    if (!this.fs) return;
    const { cell, close } = this.fs;
    this.fs = null;
    close.remove();
    cell.classList.remove('fullscreen');
    const c = this.charts.get(cell.dataset.id);
    if (c) { c.el.classList.remove('fullscreen'); c.u ? c.u.setSize({ width: c.width(), height: c.height() }) : c.draw && c.draw(); }
  }

  // The settings of one chart (or of a new one): metric, x axis, scales, ranges, size.
  async edit(s, isNew = false) {
    const keys = this.keys.slice().sort();
    const f = {
      key: h('select', { 'aria-label': 'Metric' }, keys.map((k) => h('option', { value: k, selected: k === s.key }, k))),
      x: h('select', { 'aria-label': 'X axis' },
        h('option', { value: 'step' }, 'Step'), h('option', { value: 'wall' }, 'Wall time'), h('option', { value: 'relative' }, 'Relative time'),
        keys.map((k) => h('option', { value: `metric:${k}` }, `Metric: ${k}`))),
      xlog: h('input', { type: 'checkbox', checked: !!s.xlog, 'aria-label': 'Log x' }),
      ylog: h('input', { type: 'checkbox', checked: !!s.ylog, 'aria-label': 'Log y' }),
      outliers: h('input', { type: 'checkbox', checked: !!s.outliers, 'aria-label': 'Ignore outliers' }),
      ymin: h('input', { type: 'text', value: s.ymin ?? '', placeholder: 'auto', 'aria-label': 'Y min', size: 8 }),
      ymax: h('input', { type: 'text', value: s.ymax ?? '', placeholder: 'auto', 'aria-label': 'Y max', size: 8 }),
      xmin: h('input', { type: 'text', value: s.xmin ?? '', placeholder: 'auto', 'aria-label': 'X min', size: 8 }),
      xmax: h('input', { type: 'text', value: s.xmax ?? '', placeholder: 'auto', 'aria-label': 'X max', size: 8 }),
      size: h('select', { 'aria-label': 'Size' }, Object.entries(SIZES).map(([v, l]) => h('option', { value: v, selected: Number(v) === (s.size || 1) }, l))),
    };
    f.x.value = s.x || 'step';
    const row = (label, ...els) => h('label', { class: 'field-row' }, h('span', null, label), ...els);
    const body = h('div', { class: 'chart-settings' },
      row('Metric', f.key), row('X axis', f.x), row('Log scale', f.xlog, ' x', f.ylog, ' y'),
      row('Y range', f.ymin, ' to ', f.ymax), row('X range', f.xmin, ' to ', f.xmax), row('Ignore outliers', f.outliers), row('Size', f.size));
    const ok = await modal(isNew ? 'Add chart' : `Chart: ${s.key}`, body, [{ label: 'Cancel', value: false }, { label: isNew ? 'Add' : 'Apply', value: true, primary: true }]);
    if (!ok) return;
    const numOr = (el) => (el.value.trim() === '' || !isFinite(Number(el.value)) ? undefined : Number(el.value));
    const next = { key: f.key.value, x: f.x.value === 'step' ? undefined : f.x.value, xlog: f.xlog.checked || undefined, ylog: f.ylog.checked || undefined,
      outliers: f.outliers.checked || undefined, ymin: numOr(f.ymin), ymax: numOr(f.ymax), xmin: numOr(f.xmin), xmax: numOr(f.xmax),
      size: Number(f.size.value) > 1 ? Number(f.size.value) : undefined };
    const all = this.specs();
    if (isNew) {
      next.id = `${next.key}#${Date.now().toString(36)}`;
      all.push(next);
      this.layout.removed = this.layout.removed.filter((k) => k !== next.key);
    } else {
      const i = all.findIndex((x) => specId(x) === specId(s));
      if (s.id) next.id = s.id;
      else if (next.key !== s.key) next.id = `${next.key}#${Date.now().toString(36)}`;
      all[i] = JSON.parse(JSON.stringify(next));
    }
    this.layout.charts = all.map((x) => JSON.parse(JSON.stringify(x)));
    this.saveLayout();
    this.render();
  }

  addChart() {
    return this.edit({ key: this.keys[0] || '' }, true);
  }

  // Reloads the charts that draw one of runIds (running runs).
  refresh(runIds) {
    this.charts.forEach((c) => {
      if (!runIds || (c.series || c.bars || []).some((s) => runIds.has(s.runId))) c.refresh();
    });
  }

  destroyCharts() {
    this.exitFullscreen();
    this.charts.forEach((c) => c.destroy());
    this.charts.clear();
    this.io.disconnect();
  }

  destroy() {
    this.destroyCharts();
    document.removeEventListener('keydown', this.onKey);
    this.el.remove();
  }
}
