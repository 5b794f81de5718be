// Metric charts on uPlot. Data comes from mltrack's downsampling endpoint, so a series of
// 1,000,000 points arrives as a few thousand (the first, lowest, highest and last point of
// each pixel-wide bucket: every spike survives). Dragging over the plot zooms and asks the
// server again for just that range, so detail appears down to single points; double-click
// or "Reset zoom" goes back. Several runs and metrics share one chart; smoothing draws the
// raw curve faintly behind the smoothed one; the y axis can be logarithmic; x is the step,
// the wall time or the time since the series' first point.
import uPlot from 'uplot';
import { h, clear, num } from './dom.js';
import { mltrack } from './api.js';

export const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
  '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#ad494a', '#637939', '#843c39', '#7b4173'];

// Exponential moving average with TensorBoard's debiasing; nulls pass through.
export function smooth(ys, weight) {
  if (!weight) return ys;
  const out = new Array(ys.length);
  let last = 0, n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === null || y === undefined || !isFinite(y)) {
      out[i] = y ?? null;
      continue;
    }
    last = last * weight + (1 - weight) * y;
    n++;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}

function alpha(hex, a) {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255},${(v >> 8) & 255},${v & 255},${a})`;
}

// Global counters the browser tests read (time to first chart, points drawn).
window.__mltrack = window.__mltrack || { charts: [] };

export class MetricChart {
  // series: [{runId, key, label}]; opts: {xMode: 'step'|'wall'|'relative', log, smoothing,
  // title, height}.
  constructor(container, series, opts = {}) {
    this.el = h('div', { class: 'chart' });
    this.status = h('div', { class: 'chart-status muted' });
    this.resetBtn = h('button', { class: 'small', hidden: true, onclick: () => this.resetZoom() }, 'Reset zoom');
    this.head = h('div', { class: 'chart-head' },
      h('span', { class: 'chart-title' }, opts.title || series.map((s) => s.label).join(', ')),
      this.status, this.resetBtn);
    this.plotEl = h('div', { class: 'chart-plot' });
    this.el.append(this.head, this.plotEl);
    container.appendChild(this.el);
    this.series = series;
    this.opts = { xMode: 'step', log: false, smoothing: 0, height: 240, ...opts };
    this.u = null;
    this.full = null;   // the unzoomed fetch, kept for reset
    this.zoom = null;   // [x0, x1] in plot units when zoomed
    this.t0 = {};       // per series: first timestamp, for relative time
    this.seq = 0;
    this.abort = null;
    this.started = performance.now();
    this.ro = new ResizeObserver(() => {
      if (this.u) this.u.setSize({ width: this.width(), height: this.opts.height });
    });
    this.ro.observe(this.el);
    this.load(null).catch((e) => this.fail(e));
  }

  width() {
    return Math.max(300, (this.el.clientWidth || 600) - 4);
  }

  fail(e) {
    if (e && e.name === 'AbortError') return;
    this.status.textContent = e && e.message ? e.message : String(e);
    this.status.classList.add('error');
  }

  // Fetches every series for the range (null: everything) and draws. For the whole range
  // of a step chart it also asks for a preview (one index seek per bucket, milliseconds
  // even for 1,000,000 points) and draws that first unless the exact series beat it.
  async load(range) {
    const id = ++this.seq;
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const signal = this.abort.signal;
    const axis = this.opts.xMode === 'step' ? 'step' : 'timestamp';
    const buckets = Math.min(2000, Math.max(100, Math.round(this.width())));
    this.status.textContent = 'Loading…';
    const fetchAll = (extra) => Promise.all(this.series.map((s) => {
      const p = { run_id: s.runId, metric_key: s.key, x: axis, buckets, ...extra };
      if (range) {
        const [a, b] = this.toAxis(s, range);
        p.min = Math.floor(a);
        p.max = Math.ceil(b);
      }
      return mltrack('metrics/downsample', p, signal);
    }));
    let exactDone = false;
    if (!range && axis === 'step') {
      fetchAll({ preview: 'true', buckets: Math.min(buckets, 1000) }).then((results) => {
        if (id !== this.seq || exactDone) return;
        this.draw(results, null);
        this.status.textContent = 'Preview; reading every point…';
      }).catch(() => { /* the exact request reports errors */ });
    }
    const results = await fetchAll({});
    exactDone = true;
    if (id !== this.seq) return;
    if (!range) {
      this.full = results;
      results.forEach((r, i) => {
        if (r.timestamps.length) this.t0[i] = Math.min(...r.timestamps.slice(0, 64));
      });
    }
    this.draw(results, range);
    if (!this.el.dataset.exact) {
      this.el.dataset.exact = '1';
      this.el.dataset.exactMs = (performance.now() - this.started).toFixed(0);
    }
    const pts = results.reduce((a, r) => a + r.points_in_range, 0);
    const drawn = results.reduce((a, r) => a + r.values.length, 0);
    this.status.classList.remove('error');
    this.status.textContent = pts === 0 ? 'No data in range' :
      `${pts.toLocaleString('en-US')} points${drawn < pts ? `, ${drawn.toLocaleString('en-US')} drawn` : ''}`;
  }

  // Plot x range -> the server's axis (steps or ms) for series s.
  toAxis(s, [x0, x1]) {
    const i = this.series.indexOf(s);
    if (this.opts.xMode === 'step') return [x0, x1];
    if (this.opts.xMode === 'wall') return [x0 * 1000, x1 * 1000];
    const t0 = this.t0[i] || 0;
    return [t0 + x0 * 1000, t0 + x1 * 1000];
  }

  xs(r, i) {
    if (this.opts.xMode === 'step') return r.steps;
    if (this.opts.xMode === 'wall') return r.timestamps.map((t) => t / 1000);
    const t0 = this.t0[i] || 0;
    return r.timestamps.map((t) => (t - t0) / 1000);
  }

  build(results) {
    const tables = [];
    const specs = [];
    const sm = this.opts.smoothing;
    results.forEach((r, i) => {
      let xs = this.xs(r, i);
      let ys = r.values.map(num);
      if (this.opts.xMode !== 'step') {
        // Points come in step order; time order may differ.
        const idx = xs.map((_, k) => k).sort((a, b) => xs[a] - xs[b]);
        xs = idx.map((k) => xs[k]);
        ys = idx.map((k) => ys[k]);
      }
      if (this.opts.log) ys = ys.map((y) => (y > 0 ? y : null));
      ys = ys.map((y) => (isFinite(y) ? y : null));
      const color = COLORS[i % COLORS.length];
      const label = this.series[i].label;
      if (sm > 0) {
        tables.push([xs, ys]);
        specs.push({ label: `${label} (raw)`, stroke: alpha(color, 0.25), width: 1, spanGaps: true });
        tables.push([xs, smooth(ys, sm)]);
        specs.push({ label, stroke: color, width: 1.5, spanGaps: true });
      } else {
        tables.push([xs, ys]);
        specs.push({ label, stroke: color, width: 1.25, spanGaps: true });
      }
    });
    let data;
    if (tables.length === 1) data = [Float64Array.from(tables[0][0]), tables[0][1]];
    else if (tables.length === 0) data = [[]];
    else {
      // Series with identical x (raw + smoothed of one run) join cheaply; others align.
      data = uPlot.join(tables);
    }
    return { data, specs };
  }

  draw(results, range) {
    if (range) this.zoomed = results; // kept for option changes while zoomed
    const { data, specs } = this.build(results);
    const xm = this.opts.xMode;
    const key = JSON.stringify([specs.map((s) => s.label), xm, this.opts.log]);
    if (this.u && this.key === key) {
      this.u.setData(data, true);
      if (range) this.u.setScale('x', { min: range[0], max: range[1] });
      return;
    }
    if (this.u) this.u.destroy();
    this.key = key;
    clear(this.plotEl);
    const self = this;
    const opts = {
      width: this.width(),
      height: this.opts.height,
      scales: {
        x: { time: xm === 'wall' },
        y: { distr: this.opts.log ? 3 : 1 },
      },
      axes: [
        { label: xm === 'step' ? 'step' : xm === 'wall' ? '' : 'seconds since start', size: 40 },
        { size: 60 },
      ],
      series: [{ label: xm === 'step' ? 'step' : 'time' }, ...specs],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      hooks: {
        setSelect: [(u) => {
          if (u.select.width < 3) return;
          const x0 = u.posToVal(u.select.left, 'x');
          const x1 = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
          self.zoomTo([x0, x1]);
        }],
        draw: [() => {
          if (!self.el.dataset.ready) {
            self.el.dataset.ready = '1';
            const ms = performance.now() - self.started;
            self.el.dataset.firstDrawMs = ms.toFixed(0);
            window.__mltrack.charts.push({ title: self.head.firstChild.textContent, ms });
          }
        }],
      },
    };
    this.u = new uPlot(opts, data, this.plotEl);
    this.u.over.addEventListener('dblclick', () => this.resetZoom());
    if (range) this.u.setScale('x', { min: range[0], max: range[1] });
  }

  zoomTo(range) {
    this.zoom = range;
    this.resetBtn.hidden = false;
    this.load(range).catch((e) => this.fail(e));
  }

  resetZoom() {
    this.zoom = null;
    this.resetBtn.hidden = true;
    if (this.full) {
      ++this.seq;
      if (this.abort) this.abort.abort();
      this.draw(this.full, null);
      const pts = this.full.reduce((a, r) => a + r.points_in_range, 0);
      this.status.textContent = `${pts.toLocaleString('en-US')} points`;
    } else this.load(null).catch((e) => this.fail(e));
  }

  setOptions(o) {
    const refetch = o.xMode !== undefined && o.xMode !== this.opts.xMode;
    Object.assign(this.opts, o);
    if (refetch) {
      this.full = null;
      this.zoom = null;
      this.resetBtn.hidden = true;
      this.load(null).catch((e) => this.fail(e));
    } else if (this.lastResults()) {
      this.draw(this.lastResults(), this.zoom);
    }
  }

  lastResults() {
    return this.zoom ? this.zoomed : this.full;
  }

  destroy() {
    this.ro.disconnect();
    if (this.abort) this.abort.abort();
    if (this.u) this.u.destroy();
    this.el.remove();
  }
}

// Chart controls shared by the run and compare pages: x axis, log scale, smoothing.
export function chartControls(state, onChange) {
  const xSel = h('select', { onchange: (e) => { state.xMode = e.target.value; onChange({ xMode: state.xMode }); } },
    h('option', { value: 'step', selected: state.xMode === 'step' }, 'Step'),
    h('option', { value: 'wall', selected: state.xMode === 'wall' }, 'Wall time'),
    h('option', { value: 'relative', selected: state.xMode === 'relative' }, 'Relative time'));
  const log = h('input', { type: 'checkbox', checked: state.log, onchange: (e) => { state.log = e.target.checked; onChange({ log: state.log }); } });
  const smLabel = h('span', { class: 'muted' }, String(state.smoothing));
  const sm = h('input', {
    type: 'range', min: 0, max: 0.99, step: 0.01, value: state.smoothing,
    oninput: (e) => { state.smoothing = Number(e.target.value); smLabel.textContent = String(state.smoothing); onChange({ smoothing: state.smoothing }); },
  });
  return h('div', { class: 'toolbar chart-controls' },
    h('label', null, 'X axis ', xSel),
    h('label', null, log, ' Log scale'),
    h('label', null, 'Smoothing ', sm, ' ', smLabel),
    h('span', { class: 'muted' }, 'Drag on a chart to zoom; double-click to reset.'));
}
