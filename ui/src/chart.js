// Metric charts on uPlot. Data comes from mltrack's /metrics/series endpoint (several runs
// in one request), downsampled on the server: a series of 1,000,000 points arrives as a
// few thousand (the first, lowest, highest and last point of each pixel-wide bucket, so
// every spike survives). Dragging over the plot zooms and asks the server again for just
// that range, so detail appears down to single points; double-click or "Reset zoom" goes
// back. Smoothing is computed on the server over the raw points (an exponential moving
// average from the first point), so the smoothed curve does not change with the chart's
// width or zoom; the raw curve is drawn faintly behind it.
//
// Every series keeps its own x values (uPlot's "mode 2"), so 100 runs whose kept points
// fall on different steps cost 100 short arrays, not one table of their union. Series of
// a group (runs sharing a param value) are drawn as their mean with a min-max band.
import uPlot from 'uplot';
import { h, clear, put, num, fmtNum, fmtTick, fmtTime, cssVar, downloadBlob } from './dom.js';
import { mlflow, mltrack, pool } from './api.js';

export const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
  '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#ad494a', '#637939', '#843c39', '#7b4173'];

export function colorFor(i) {
  return COLORS[i % COLORS.length];
}

function alpha(hex, a) {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255},${(v >> 8) & 255},${v & 255},${a})`;
}

// Runs per /metrics/series request: the requests go out in parallel, so the server's
// worker threads share a chart of 100 runs.
const RUNS_PER_REQUEST = 25;
const PARALLEL_REQUESTS = 4;

// Global counters the browser tests read (time to first chart, points drawn).
window.__mltrack = window.__mltrack || { charts: [] };

// Fetches one metric per series (series: [{runId, key}]) for x axis 'step' or
// 'timestamp'; params: {buckets, min, max, preview, smoothing}; ranges (optional): a
// [min, max] per series that overrides params'. Results in series order.
export async function fetchSeries(series, axis, params, signal, ranges) {
  const out = new Array(series.length);
  const jobs = [];
  const byKey = new Map();
  series.forEach((s, i) => {
    const r = ranges && ranges[i];
    const k = JSON.stringify([s.key, r || null]);
    if (!byKey.has(k)) byKey.set(k, { key: s.key, range: r, idx: [] });
    byKey.get(k).idx.push(i);
  });
  for (const { key, range, idx } of byKey.values()) {
    for (let k = 0; k < idx.length; k += RUNS_PER_REQUEST) jobs.push([key, range, idx.slice(k, k + RUNS_PER_REQUEST)]);
  }
  await pool(jobs, PARALLEL_REQUESTS, async ([key, range, idx]) => {
    const p = { ...params };
    if (range) [p.min, p.max] = [Math.floor(range[0]), Math.ceil(range[1])];
    const r = await mltrack('metrics/series', {
      run_id: idx.map((i) => series[i].runId), metric_key: key, x: axis, ...p,
    }, signal);
    r.series.forEach((s, j) => { out[idx[j]] = s; });
  });
  return out;
}

// A uPlot paths builder that draws a series' points as filled dots of radius r (CSS px):
// scatter plots, and series too short for a line. uPlot draws no points in mode 2.
export function dotsPath(r) {
  return (u, si) => {
    const [xs, ys] = u.data[si];
    const p = new Path2D();
    const rr = r * uPlot.pxRatio;
    for (let k = 0; k < xs.length; k++) {
      const x = u.valToPos(xs[k], 'x', true), y = u.valToPos(ys[k], 'y', true);
      p.moveTo(x + rr, y);
      p.arc(x, y, rr, 0, 2 * Math.PI);
    }
    return { stroke: p, fill: p };
  };
}

// SVG exports are built as DOM nodes (text as text nodes) and serialized.
const SVG_NS = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// One CSV field (RFC 4180 quoting).
function csvField(v) {
  const t = String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

// The PNG / SVG / CSV buttons of a chart (and its owner's own tools after them).
function exportTools(chart, extra) {
  const save = (ext, type, make) => () => {
    const data = make();
    if (data) downloadBlob(new Blob([data], { type }), chart.fileName(ext));
  };
  return h('span', { class: 'chart-tools' },
    h('button', { class: 'small', title: 'Download as PNG', onclick: () => chart.exportPng() }, 'PNG'),
    h('button', { class: 'small', title: 'Download as SVG', onclick: save('svg', 'image/svg+xml', () => chart.svg()) }, 'SVG'),
    h('button', { class: 'small', title: 'Download the drawn points as CSV', onclick: save('csv', 'text/csv', () => chart.csv()) }, 'CSV'),
    extra || null);
}

// The nearest index of x in the sorted array xs.
function nearest(xs, x) {
  let lo = 0, hi = xs.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))));
  return sorted[i];
}

// Per group: the mean over its runs of each run's last value in every bucket, and the
// band from the lowest to the highest point any run has there. The runs were fetched
// over one x range with one bucket count, so their buckets are the server's, aligned.
export function aggregate(results, members, lo, hi, buckets, useSmoothed) {
  const span = hi - lo;
  const width = Math.floor(span / buckets) + 1;
  const cells = new Map(); // bucket -> {xs, lasts, lo, hi}
  for (const r of members.map((i) => results[i]).filter(Boolean)) {
    const ys = useSmoothed && r.smoothed ? r.smoothed : r.values;
    const seen = new Map();
    for (let k = 0; k < r.steps.length; k++) {
      const x = r.steps[k];
      const raw = num(r.values[k]);
      const y = ys[k] === null ? NaN : num(ys[k]);
      if (!isFinite(raw)) continue;
      const b = Math.floor((x - lo) / width);
      let c = cells.get(b);
      if (!c) cells.set(b, (c = { xs: [], lasts: [], lo: raw, hi: raw }));
      c.lo = Math.min(c.lo, raw);
      c.hi = Math.max(c.hi, raw);
      seen.set(b, [x, y]); // points come in x order: the last one wins
    }
    for (const [b, [x, y]] of seen) {
      const c = cells.get(b);
      if (isFinite(y)) { c.xs.push(x); c.lasts.push(y); }
    }
  }
  const order = [...cells.keys()].sort((a, b) => a - b);
  // The line: the mean, lowest or highest of the members' values in each bucket; the band:
  // every point of the members in it.
  const xs = [], mean = [], lowest = [], highest = [], min = [], max = [];
  for (const b of order) {
    const c = cells.get(b);
    if (!c.lasts.length) continue;
    xs.push(Math.round(c.xs.reduce((a, v) => a + v, 0) / c.xs.length));
    mean.push(c.lasts.reduce((a, v) => a + v, 0) / c.lasts.length);
    lowest.push(Math.min(...c.lasts));
    highest.push(Math.max(...c.lasts));
    min.push(c.lo);
    max.push(c.hi);
  }
  return { xs, mean, lowest, highest, min, max };
}

export class MetricChart {
  // series: [{runId, key, label, color}]; opts: {xMode: 'step'|'wall'|'relative',
  // xMetric (a metric key: x = that metric's value at the same step), log, xLog,
  // smoothing, yMin, yMax, xMin, xMax, outliers, title, height, groups: [{label, color,
  // members: [series indexes], agg: 'mean'|'min'|'max' (the line; the band is min to max)}], legend (default: when at most 30 series), tools}.
  constructor(container, series, opts = {}) {
    this.el = h('div', { class: 'chart' });
    this.el._chart = this;
    this.status = h('div', { class: 'chart-status muted' });
    this.resetBtn = h('button', { class: 'small', hidden: true, onclick: () => this.resetZoom() }, 'Reset zoom');
    this.titleEl = h('span', { class: 'chart-title' }, opts.title || series.map((s) => s.label).join(', '));
    this.tools = exportTools(this, opts.tools);
    this.head = h('div', { class: 'chart-head' }, this.titleEl, this.status, this.resetBtn, this.tools);
    this.plotEl = h('div', { class: 'chart-plot' });
    this.tip = h('div', { class: 'chart-tip', hidden: true });
    this.legendEl = h('div', { class: 'chart-legend' });
    this.el.append(this.head, this.plotEl, this.legendEl, this.tip);
    container.appendChild(this.el);
    this.series = series;
    this.opts = { xMode: 'step', log: false, xLog: false, smoothing: 0, height: 240, ...opts };
    this.hidden = new Set();
    this.u = null;
    this.full = null;   // the unzoomed fetch, kept for reset
    this.zoom = null;   // [x0, x1] in plot units when zoomed
    this.seq = 0;
    this.abort = null;
    this.started = performance.now();
    this.ro = new ResizeObserver(() => {
      if (this.u) this.u.setSize({ width: this.width(), height: this.height() });
    });
    this.ro.observe(this.el);
    this.load(null).catch((e) => this.fail(e));
  }

  width() {
    return Math.max(300, (this.el.clientWidth || 600) - 18);
  }

  height() {
    if (this.el.classList.contains('fullscreen')) return Math.max(300, window.innerHeight - 140);
    return this.opts.height;
  }

  fail(e) {
    if (e && e.name === 'AbortError') return;
    this.status.textContent = e && e.message ? e.message : String(e);
    this.status.classList.add('error');
  }

  axis() {
    return this.opts.xMode === 'step' || this.opts.xMetric || this.opts.groups ? 'step' : 'timestamp';
  }

  // Fetches every series for the range (null: everything) and draws. For the whole range
  // of a step chart it also asks for a preview (one index seek per bucket, milliseconds
  // even for 1,000,000 points) and draws that first unless the exact series beat it.
  async load(range, quiet = false) {
    const id = ++this.seq;
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const signal = this.abort.signal;
    if (this.opts.xMetric) return this.loadVsMetric(id, signal);
    const axis = this.axis();
    const buckets = Math.min(2000, Math.max(100, Math.round(this.width())));
    if (!quiet) this.status.textContent = 'Loading…';
    const r = range || (this.opts.xMin !== undefined || this.opts.xMax !== undefined ? [this.opts.xMin, this.opts.xMax] : null);
    const params = (extra) => {
      const p = { buckets, ...extra };
      if (r && this.opts.xMode !== 'relative') {
        const [a, b] = this.toAxis(r);
        if (isFinite(a)) p.min = Math.floor(a);
        if (isFinite(b)) p.max = Math.ceil(b);
      }
      return p;
    };
    // Relative time: each run's range starts at its own first point.
    const ranges = r && axis === 'timestamp' && this.opts.xMode === 'relative' && this.t0s
      ? this.series.map((s, i) => [this.t0s[i] + (isFinite(r[0]) ? r[0] : -1e15) * 1000, this.t0s[i] + (isFinite(r[1]) ? r[1] : 1e15) * 1000])
      : null;
    // The preview goes first and alone: beside the exact requests, which keep the server's
    // workers busy reading every point, it would wait for them.
    if (!range && !quiet && axis === 'step' && !this.opts.groups) {
      try {
        const results = await fetchSeries(this.series, axis, params({ preview: 'true', buckets: Math.min(buckets, 1000) }), signal, ranges);
        if (id !== this.seq) return;
        this.draw(results, null);
        this.status.textContent = 'Preview; reading every point…';
      } catch (e) {
        if (e && e.name === 'AbortError') throw e;
        /* the exact request reports errors */
      }
    }
    const sm = this.opts.smoothing > 0 ? { smoothing: this.opts.smoothing } : {};
    let results = await fetchSeries(this.series, axis, params(sm), signal, ranges);
    if (this.opts.groups && results.length) {
      // One x range for every run, so their buckets line up for the mean and the band.
      const have = results.filter((r) => r.min !== undefined);
      if (have.length) {
        const lo = Math.min(...have.map((r) => r.min)), hi = Math.max(...have.map((r) => r.max));
        if (have.some((r) => r.min !== lo || r.max !== hi)) {
          results = await fetchSeries(this.series, axis, { ...params(sm), min: lo, max: hi }, signal);
        }
        this.grid = { lo, hi, buckets };
      }
    }
    if (id !== this.seq) return;
    if (!range) {
      this.full = results;
      this.t0s = results.map((x) => (x && x.timestamps.length ? Math.min(...x.timestamps.slice(0, 64), ...(axis === 'timestamp' && x.min !== undefined ? [x.min] : [])) : 0));
    }
    this.draw(results, range);
    if (!this.el.dataset.exact) {
      this.el.dataset.exact = '1';
      this.el.dataset.exactMs = (performance.now() - this.started).toFixed(0);
    }
    this.showCounts(results);
    if (this.opts.onExact && !range) this.opts.onExact(results);
  }

  showCounts(results) {
    const pts = results.reduce((a, r) => a + (r ? r.points_in_range || 0 : 0), 0);
    const drawn = results.reduce((a, r) => a + (r ? r.values.length : 0), 0);
    this.status.classList.remove('error');
    this.status.textContent = pts === 0 ? 'No data in range' :
      `${pts.toLocaleString('en-US')} point${pts === 1 ? '' : 's'}${drawn < pts ? `, ${drawn.toLocaleString('en-US')} drawn` : ''}`;
    this.el.dataset.points = String(pts);
    this.el.dataset.drawn = String(drawn);
  }

  // x = another metric's value at the same step: MLflow's sampled histories (the same
  // evenly spaced steps for both metrics), joined by step.
  async loadVsMetric(id, signal) {
    this.status.textContent = 'Loading…';
    const runIds = [...new Set(this.series.map((s) => s.runId))];
    const get = (key) => mlflow('GET', 'metrics/get-history-bulk-interval', { run_ids: runIds, metric_key: key, max_results: 1000 }, signal);
    const keys = [...new Set(this.series.map((s) => s.key))];
    const [xr, ...yrs] = await Promise.all([get(this.opts.xMetric), ...keys.map(get)]);
    if (id !== this.seq) return;
    const xBy = new Map();
    for (const m of xr.metrics || []) xBy.set(`${m.run_id}\u0000${m.step}`, num(m.value));
    const yBy = new Map(keys.map((k, i) => [k, yrs[i].metrics || []]));
    const results = this.series.map((s) => {
      const pts = [];
      for (const m of yBy.get(s.key)) {
        if (m.run_id !== s.runId) continue;
        const x = xBy.get(`${m.run_id}\u0000${m.step}`);
        if (x !== undefined && isFinite(x)) pts.push([x, num(m.value), m.step, m.timestamp]);
      }
      pts.sort((a, b) => a[0] - b[0]);
      return { steps: pts.map((p) => p[2]), timestamps: pts.map((p) => p[3]), values: pts.map((p) => p[1]), xs: pts.map((p) => p[0]), points_in_range: pts.length };
    });
    this.full = results;
    this.draw(results, null);
    this.el.dataset.exact = '1';
    this.showCounts(results);
  }

  // Plot x range -> the server's axis (steps, or ms of wall time).
  toAxis([x0, x1]) {
    if (this.axis() === 'step') return [x0, x1];
    return [x0 * 1000, x1 * 1000];
  }

  // x values to draw; relative time is seconds since each series' own first point.
  xs(r, i) {
    if (r.xs) return r.xs;
    if (this.axis() === 'step') return r.steps;
    if (this.opts.xMode === 'wall') return r.timestamps.map((t) => t / 1000);
    const t0 = this.t0s && this.t0s[i] !== undefined ? this.t0s[i] : Math.min(...r.timestamps.slice(0, 64));
    return r.timestamps.map((t) => (t - t0) / 1000);
  }

  // Turns results into uPlot's per-series [xs, ys] and series options.
  build(results) {
    const data = [null];
    const specs = [{}];
    const meta = []; // per uPlot series: {label, runId, raw}
    this.bands = [];
    const keep = (xs, ys) => {
      const X = [], Y = [];
      for (let k = 0; k < xs.length; k++) {
        const y = ys[k] === null || ys[k] === undefined ? NaN : num(ys[k]);
        const x = xs[k];
        if (!isFinite(y) || !isFinite(x)) continue;
        if (this.opts.log && y <= 0) continue;
        if (this.opts.xLog && x <= 0) continue;
        X.push(x);
        Y.push(y);
      }
      if (this.axis() === 'timestamp' && !this.opts.xMetric) {
        // Points come in step order; time order may differ.
        const idx = X.map((_, k) => k).sort((a, b) => X[a] - X[b]);
        return [Float64Array.from(idx.map((k) => X[k])), Float64Array.from(idx.map((k) => Y[k]))];
      }
      return [Float64Array.from(X), Float64Array.from(Y)];
    };
    const add = (xy, spec, m) => {
      data.push(xy);
      // One or two points make no line: draw them as dots.
      const few = xy[0].length <= 2 ? { paths: dotsPath(3.5), fill: spec.stroke } : {};
      specs.push({ facets: [{ scale: 'x', auto: true }, { scale: 'y', auto: true }], spanGaps: true, ...spec, ...few });
      meta.push(m);
    };
    const sm = this.opts.smoothing > 0;
    if (this.opts.groups && this.grid) {
      const { lo, hi, buckets } = this.grid;
      for (const g of this.opts.groups) {
        const a = aggregate(results, g.members, lo, hi, buckets, sm);
        if (this.hidden.has(g.label)) continue;
        const band = keep(a.xs, a.max);
        const bandLo = keep(a.xs, a.min);
        this.bands.push({ color: g.color, xs: band[0], hi: band[1], lo: bandLo[1] });
        const agg = g.agg === 'min' ? 'min' : g.agg === 'max' ? 'max' : 'mean';
        const line = agg === 'min' ? a.lowest : agg === 'max' ? a.highest : a.mean;
        add(keep(a.xs, line), { label: g.label, stroke: g.color, width: 1.75 }, { label: `${g.label} (${agg} of ${g.members.length})`, group: g });
      }
      return { data, specs, meta };
    }
    results.forEach((r, i) => {
      if (!r) return;
      const s = this.series[i];
      if (this.hidden.has(s.label)) return;
      const xs = this.xs(r, i);
      const color = s.color || colorFor(i);
      if (sm && r.smoothed) {
        add(keep(xs, r.values), { label: `${s.label} (raw)`, stroke: alpha(color, 0.25), width: 1 }, { label: `${s.label} (raw)`, runId: s.runId, key: s.key, raw: true });
        add(keep(xs, r.smoothed), { label: s.label, stroke: color, width: 1.5 }, { label: s.label, runId: s.runId, key: s.key });
      } else {
        add(keep(xs, r.values), { label: s.label, stroke: color, width: 1.25 }, { label: s.label, runId: s.runId, key: s.key });
      }
    });
    return { data, specs, meta };
  }

  yRange(u, dmin, dmax) {
    let lo = dmin, hi = dmax;
    if (this.opts.outliers) {
      // Ignore outliers: the axis spans the 2nd to the 98th percentile of what is drawn.
      const vals = [];
      for (let i = 1; i < u.data.length; i++) {
        const ys = u.data[i][1];
        const step = Math.max(1, Math.floor(ys.length / 2000));
        for (let k = 0; k < ys.length; k += step) vals.push(ys[k]);
      }
      vals.sort((a, b) => a - b);
      if (vals.length > 10) {
        lo = percentile(vals, 0.02);
        hi = percentile(vals, 0.98);
      }
    }
    if (this.opts.yMin !== undefined && this.opts.yMin !== null && this.opts.yMin !== '') lo = Number(this.opts.yMin);
    if (this.opts.yMax !== undefined && this.opts.yMax !== null && this.opts.yMax !== '') hi = Number(this.opts.yMax);
    if (!isFinite(lo) || !isFinite(hi)) return [dmin, dmax];
    if (this.opts.log) {
      if (lo <= 0) lo = dmin > 0 ? dmin : 1e-12;
      return uPlot.rangeLog(lo, hi, 10, true);
    }
    if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1; }
    const pad = (hi - lo) * 0.05;
    return [lo - (this.opts.yMin !== undefined && this.opts.yMin !== '' ? 0 : pad), hi + (this.opts.yMax !== undefined && this.opts.yMax !== '' ? 0 : pad)];
  }

  draw(results, range) {
    if (range) this.zoomed = results; // kept for option changes while zoomed
    this.last = results;
    const { data, specs, meta } = this.build(results);
    this.meta = meta;
    this.renderLegend();
    const xm = this.opts.xMetric ? 'metric' : this.axis() === 'step' ? 'step' : this.opts.xMode;
    const key = JSON.stringify([specs.map((s) => `${s.label}|${s.stroke}`), xm, this.opts.log, this.opts.xLog, this.opts.outliers, this.opts.yMin, this.opts.yMax]);
    if (data.length < 2) {
      if (this.u) { this.u.destroy(); this.u = null; }
      this.key = null;
      clear(this.plotEl).appendChild(h('p', { class: 'muted chart-empty' }, 'No data to draw.'));
      return;
    }
    if (this.u && this.key === key) {
      this.u.setData(data, !range);
      if (range) this.u.setScale('x', { min: range[0], max: range[1] });
      return;
    }
    if (this.u) this.u.destroy();
    this.key = key;
    clear(this.plotEl);
    const self = this;
    const fg = cssVar('--chart-fg', '#333'), grid = cssVar('--chart-grid', 'rgba(0,0,0,0.07)');
    const axisStyle = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const tickFmt = (u, splits, ai, space, incr) => splits.map((v) => fmtTick(v, incr));
    const xLabel = this.opts.xMetric || (xm === 'step' ? 'step' : xm === 'wall' ? '' : 'seconds since start');
    const opts = {
      mode: 2,
      width: this.width(),
      height: this.height(),
      scales: {
        x: { time: xm === 'wall', auto: true, distr: this.opts.xLog ? 3 : 1, log: 10 },
        y: { auto: true, distr: this.opts.log ? 3 : 1, log: 10, range: (u, a, b) => self.yRange(u, a, b) },
      },
      axes: [
        { ...axisStyle, label: xLabel, size: 40, values: xm === 'wall' ? undefined : tickFmt },
        { ...axisStyle, size: 64, values: tickFmt },
      ],
      series: specs,
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { show: false },
        dataIdx: (u, si) => {
          const d = u.data[si];
          if (!d || !d[0].length || u.cursor.left < 0) return null;
          return nearest(d[0], u.posToVal(u.cursor.left, 'x'));
        },
      },
      hooks: {
        setSelect: [(u) => {
          if (u.select.width < 3) return;
          const x0 = u.posToVal(u.select.left, 'x');
          const x1 = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
          if (!self.opts.xMetric) self.zoomTo([x0, x1]);
        }],
        setCursor: [(u) => self.hover(u)],
        drawAxes: [(u) => self.drawBands(u)],
        draw: [() => {
          if (!self.el.dataset.ready) {
            self.el.dataset.ready = '1';
            const ms = performance.now() - self.started;
            self.el.dataset.firstDrawMs = ms.toFixed(0);
            window.__mltrack.charts.push({ title: self.titleEl.textContent, ms });
          }
        }],
      },
    };
    this.u = new uPlot(opts, data, this.plotEl);
    this.u.over.addEventListener('dblclick', () => this.resetZoom());
    this.u.over.addEventListener('mouseleave', () => { this.tip.hidden = true; });
    if (range) this.u.setScale('x', { min: range[0], max: range[1] });
  }

  // The min-max bands of groups, under the lines.
  drawBands(u) {
    if (!this.bands || !this.bands.length) return;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    for (const b of this.bands) {
      if (!b.xs.length) continue;
      ctx.beginPath();
      for (let k = 0; k < b.xs.length; k++) {
        const x = u.valToPos(b.xs[k], 'x', true), y = u.valToPos(b.hi[k], 'y', true);
        if (k) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      }
      for (let k = b.xs.length - 1; k >= 0; k--) ctx.lineTo(u.valToPos(b.xs[k], 'x', true), u.valToPos(b.lo[k], 'y', true));
      ctx.closePath();
      ctx.fillStyle = alpha(b.color, 0.18);
      ctx.fill();
    }
    ctx.restore();
  }

  fmtX(x) {
    if (this.opts.xMetric) return `${this.opts.xMetric} ${fmtNum(x)}`;
    const xm = this.axis() === 'step' ? 'step' : this.opts.xMode;
    if (xm === 'step') return `step ${fmtNum(x)}`;
    if (xm === 'wall') return fmtTime(x * 1000);
    return `${fmtNum(x)} s`;
  }

  // The hover box: the values nearest the cursor, as text.
  hover(u) {
    const { left, top } = u.cursor;
    if (left === undefined || left < 0 || !this.meta) { this.tip.hidden = true; return; }
    const x = u.posToVal(left, 'x');
    const rows = [];
    for (let i = 1; i < u.data.length; i++) {
      const m = this.meta[i - 1];
      if (m.raw && this.meta.length > 1) continue;
      const [xs, ys] = u.data[i];
      const k = nearest(xs, x);
      if (k < 0) continue;
      const py = u.valToPos(ys[k], 'y');
      rows.push({ d: Math.abs(py - top), label: m.label, y: ys[k], x: xs[k], color: u.series[i].stroke });
    }
    if (!rows.length) { this.tip.hidden = true; return; }
    rows.sort((a, b) => a.d - b.d);
    const shown = rows.slice(0, 8);
    put(clear(this.tip), h('div', { class: 'tip-x' }, this.fmtX(shown[0].x)),
      shown.map((r) => h('div', { class: 'tip-row' },
        h('span', { class: 'swatch', style: { background: typeof r.color === 'function' ? r.color(u, 1) : r.color } }),
        h('span', { class: 'tip-label' }, r.label), ' ', h('span', { class: 'tip-val' }, fmtNum(r.y)))),
      rows.length > shown.length ? h('div', { class: 'muted' }, `+${rows.length - shown.length} more`) : null);
    this.tip.hidden = false;
    const plot = this.plotEl.getBoundingClientRect(), box = this.el.getBoundingClientRect();
    const ox = u.over.getBoundingClientRect();
    let tx = ox.left - box.left + left + 14;
    if (tx + 240 > box.width) tx = ox.left - box.left + left - 254;
    this.tip.style.left = `${Math.max(0, tx)}px`;
    this.tip.style.top = `${plot.top - box.top + Math.max(0, top - 10)}px`;
  }

  renderLegend() {
    clear(this.legendEl);
    const items = this.opts.groups ? this.opts.groups.map((g) => ({ label: g.label, color: g.color }))
      : this.series.map((s, i) => ({ label: s.label, color: s.color || colorFor(i) }));
    const show = this.opts.legend !== undefined ? this.opts.legend : items.length <= 30;
    if (!show || items.length < 2) return;
    for (const it of items) {
      this.legendEl.appendChild(h('button', {
        class: `link legend-item${this.hidden.has(it.label) ? ' off' : ''}`, title: 'Show or hide',
        onclick: () => {
          if (this.hidden.has(it.label)) this.hidden.delete(it.label); else this.hidden.add(it.label);
          this.key = null;
          if (this.lastResults()) this.draw(this.lastResults(), this.zoom);
        },
      }, h('span', { class: 'swatch', style: { background: it.color } }), it.label));
    }
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
      this.showCounts(this.full);
    } else this.load(null).catch((e) => this.fail(e));
  }

  // Reloads what is shown (a running run's new points), without the preview step.
  refresh() {
    if (this.zoom) return;
    this.load(null, true).catch((e) => this.fail(e));
  }

  setOptions(o) {
    const refetch = ['xMode', 'smoothing', 'xMetric', 'xMin', 'xMax'].some((k) => o[k] !== undefined && o[k] !== this.opts[k]);
    Object.assign(this.opts, o);
    if (refetch) {
      this.full = null;
      this.zoom = null;
      this.key = null;
      this.resetBtn.hidden = true;
      this.load(null).catch((e) => this.fail(e));
    } else if (this.lastResults()) {
      this.key = null;
      this.draw(this.lastResults(), this.zoom);
    }
  }

  lastResults() {
    return this.zoom ? this.zoomed : this.full;
  }

  fileName(ext) {
    return `${this.titleEl.textContent.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'chart'}.${ext}`;
  }

  exportPng() {
    if (!this.u) return;
    this.u.ctx.canvas.toBlob((b) => b && downloadBlob(b, this.fileName('png')), 'image/png');
  }

  // An SVG of what is drawn: axes with their tick labels, the lines, the title; built as
  // DOM nodes (text as text nodes) and serialized.
  svg() {
    const u = this.u;
    if (!u) return null;
    const el = svgEl;
    const pr = uPlot.pxRatio;
    const W = u.width, H = u.height;
    const L = u.bbox.left / pr, T = u.bbox.top / pr, PW = u.bbox.width / pr, PH = u.bbox.height / pr;
    const root = el('svg', { xmlns: SVG_NS, width: W, height: H + 24, viewBox: `0 0 ${W} ${H + 24}`, 'font-family': 'sans-serif', 'font-size': 11 });
    root.appendChild(el('rect', { x: 0, y: 0, width: W, height: H + 24, fill: '#fff' }));
    root.appendChild(el('text', { x: L, y: 14, 'font-size': 13, 'font-weight': 'bold' }, this.titleEl.textContent));
    const g = el('g', { transform: 'translate(0,24)' });
    root.appendChild(g);
    g.appendChild(el('rect', { x: L, y: T, width: PW, height: PH, fill: 'none', stroke: '#ccc' }));
    const [ax, ay] = u.axes;
    (ax._splits || []).forEach((v, i) => {
      const x = L + u.valToPos(v, 'x');
      g.appendChild(el('line', { x1: x, y1: T + PH, x2: x, y2: T + PH + 4, stroke: '#666' }));
      g.appendChild(el('text', { x, y: T + PH + 16, 'text-anchor': 'middle' }, (ax._values || [])[i] ?? ''));
    });
    (ay._splits || []).forEach((v, i) => {
      const y = T + u.valToPos(v, 'y');
      g.appendChild(el('line', { x1: L, y1: y, x2: L + PW, y2: y, stroke: '#eee' }));
      g.appendChild(el('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, (ay._values || [])[i] ?? ''));
    });
    const clipId = `clip${Math.random().toString(36).slice(2)}`;
    const defs = el('defs');
    const cp = el('clipPath', { id: clipId });
    cp.appendChild(el('rect', { x: L, y: T, width: PW, height: PH }));
    defs.appendChild(cp);
    g.appendChild(defs);
    const lines = el('g', { 'clip-path': `url(#${clipId})` });
    g.appendChild(lines);
    for (let i = 1; i < u.data.length; i++) {
      const s = u.series[i];
      if (!s.show) continue;
      const [xs, ys] = u.data[i];
      const pts = [];
      for (let k = 0; k < xs.length; k++) pts.push(`${(L + u.valToPos(xs[k], 'x')).toFixed(1)},${(T + u.valToPos(ys[k], 'y')).toFixed(1)}`);
      const stroke = typeof s.stroke === 'function' ? s.stroke(u, i) : s.stroke;
      const line = el('polyline', { points: pts.join(' '), fill: 'none', stroke, 'stroke-width': s.width || 1 });
      line.appendChild(el('title', {}, this.meta[i - 1].label));
      lines.appendChild(line);
    }
    return new XMLSerializer().serializeToString(root);
  }


  // The drawn points: one row per point of every series.
  csv() {
    const q = csvField;
    const xName = this.opts.xMetric || (this.axis() === 'step' ? 'step' : this.opts.xMode === 'wall' ? 'time' : 'seconds');
    const lines = [['series', 'run_id', xName, 'value'].join(',')];
    if (!this.u) return lines.join('\r\n') + '\r\n';
    for (let i = 1; i < this.u.data.length; i++) {
      const m = this.meta[i - 1];
      const [xs, ys] = this.u.data[i];
      const xv = (x) => (this.opts.xMode === 'wall' && !this.opts.xMetric && this.axis() !== 'step' ? new Date(x * 1000).toISOString() : x);
      for (let k = 0; k < xs.length; k++) lines.push([q(m.label), q(m.runId || ''), q(xv(xs[k])), q(ys[k])].join(','));
    }
    return lines.join('\r\n') + '\r\n';
  }


  destroy() {
    this.ro.disconnect();
    if (this.abort) this.abort.abort();
    if (this.u) this.u.destroy();
    this.el.remove();
  }
}

// Single-value metrics (one point per run): a bar per run, drawn on a canvas (names with
// fillText, never markup), with the same export buttons.
export class BarChart {
  constructor(container, bars, opts = {}) {
    // bars: [{label, value, color, runId}]
    this.bars = bars;
    this.opts = opts;
    this.el = h('div', { class: 'chart bar-chart' });
    this.el._chart = this;
    this.titleEl = h('span', { class: 'chart-title' }, opts.title || '');
    this.status = h('div', { class: 'chart-status muted' }, `${bars.length} run${bars.length === 1 ? '' : 's'}, one value each`);
    this.canvas = h('canvas', { class: 'bars' });
    this.tip = h('div', { class: 'chart-tip', hidden: true });
    this.el.append(h('div', { class: 'chart-head' }, this.titleEl, this.status, exportTools(this, opts.tools)), this.canvas, this.tip);
    container.appendChild(this.el);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => { this.tip.hidden = true; });
    this.ro = new ResizeObserver(() => this.draw());
    this.ro.observe(this.el);
    this.el.dataset.ready = '1';
    this.el.dataset.exact = '1';
  }

  fileName(ext) {
    return `${(this.opts.title || 'chart').replace(/[^\w.-]+/g, '_')}.${ext}`;
  }

  exportPng() {
    this.canvas.toBlob((b) => b && downloadBlob(b, this.fileName('png')), 'image/png');
  }

  layout() {
    const W = Math.max(300, (this.el.clientWidth || 600) - 18);
    const rowH = 22, top = 8, labelW = Math.min(220, W * 0.35);
    const H = this.el.classList.contains('fullscreen') ? Math.max(300, window.innerHeight - 140) : Math.max(80, top * 2 + this.bars.length * rowH);
    const vals = this.bars.map((b) => b.value).filter(isFinite);
    const lo = Math.min(0, ...vals), hi = Math.max(0, ...vals);
    const x = (v) => labelW + ((v - lo) / (hi - lo || 1)) * (W - labelW - 70);
    return { W, H, rowH: this.el.classList.contains('fullscreen') ? (H - 2 * top) / Math.max(1, this.bars.length) : rowH, top, labelW, x };
  }

  draw() {
    const L = this.layout();
    this.L = L;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = L.W * dpr;
    this.canvas.height = L.H * dpr;
    this.canvas.style.width = `${L.W}px`;
    this.canvas.style.height = `${L.H}px`;
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, L.W, L.H);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const fg = cssVar('--chart-fg', '#333');
    this.bars.forEach((b, i) => {
      const y = L.top + i * L.rowH;
      ctx.fillStyle = fg;
      ctx.textAlign = 'right';
      const name = b.label.length > 30 ? `${b.label.slice(0, 29)}…` : b.label;
      ctx.fillText(name, L.labelW - 6, y + L.rowH / 2);
      if (!isFinite(b.value)) return;
      const x0 = L.x(0), x1 = L.x(b.value);
      ctx.fillStyle = b.color;
      ctx.fillRect(Math.min(x0, x1), y + 3, Math.max(1, Math.abs(x1 - x0)), L.rowH - 6);
      ctx.fillStyle = fg;
      ctx.textAlign = 'left';
      ctx.fillText(fmtNum(b.value), Math.max(x0, x1) + 4, y + L.rowH / 2);
    });
  }

  hover(e) {
    if (!this.L) return;
    const r = this.canvas.getBoundingClientRect();
    const i = Math.floor((e.clientY - r.top - this.L.top) / this.L.rowH);
    const b = this.bars[i];
    if (!b) { this.tip.hidden = true; return; }
    clear(this.tip).append(h('div', { class: 'tip-row' }, h('span', { class: 'swatch', style: { background: b.color } }),
      h('span', { class: 'tip-label' }, b.label), ' ', h('span', { class: 'tip-val' }, fmtNum(b.value))));
    this.tip.hidden = false;
    this.tip.style.left = `${Math.min(e.clientX - this.el.getBoundingClientRect().left + 12, this.L.W - 200)}px`;
    this.tip.style.top = `${e.clientY - this.el.getBoundingClientRect().top + 12}px`;
  }

  svg() {
    const L = this.L || this.layout();
    const el = svgEl;
    const root = el('svg', { xmlns: SVG_NS, width: L.W, height: L.H, 'font-family': 'sans-serif', 'font-size': 12 });
    root.appendChild(el('rect', { x: 0, y: 0, width: L.W, height: L.H, fill: '#fff' }));
    this.bars.forEach((b, i) => {
      const y = L.top + i * L.rowH;
      root.appendChild(el('text', { x: L.labelW - 6, y: y + L.rowH / 2 + 4, 'text-anchor': 'end' }, b.label));
      if (!isFinite(b.value)) return;
      const x0 = L.x(0), x1 = L.x(b.value);
      root.appendChild(el('rect', { x: Math.min(x0, x1), y: y + 3, width: Math.max(1, Math.abs(x1 - x0)), height: L.rowH - 6, fill: b.color }));
      root.appendChild(el('text', { x: Math.max(x0, x1) + 4, y: y + L.rowH / 2 + 4 }, fmtNum(b.value)));
    });
    return new XMLSerializer().serializeToString(root);
  }

  csv() {
    const q = csvField;
    return ['series,run_id,value', ...this.bars.map((b) => [q(b.label), q(b.runId || ''), q(b.value)].join(','))].join('\r\n') + '\r\n';
  }

  refresh() {}

  setOptions() {}

  destroy() {
    this.ro.disconnect();
    this.el.remove();
  }
}

// Chart controls shared by the run and compare pages: x axis, log scale, smoothing.
// state is read from and written to by the controls; onChange gets what changed.
export function chartControls(state, onChange) {
  const xSel = h('select', { 'aria-label': 'X axis', onchange: (e) => { state.xMode = e.target.value; onChange({ xMode: state.xMode }); } },
    h('option', { value: 'step', selected: state.xMode === 'step' }, 'Step'),
    h('option', { value: 'wall', selected: state.xMode === 'wall' }, 'Wall time'),
    h('option', { value: 'relative', selected: state.xMode === 'relative' }, 'Relative time'));
  const log = h('input', { type: 'checkbox', checked: state.log, 'aria-label': 'Log scale', onchange: (e) => { state.log = e.target.checked; onChange({ log: state.log }); } });
  const smLabel = h('span', { class: 'muted sm-value' }, String(state.smoothing));
  // The server smooths over every point, so the request goes out when the slider stops.
  let t = 0;
  const sm = h('input', {
    type: 'range', min: 0, max: 0.99, step: 0.01, value: state.smoothing, 'aria-label': 'Smoothing',
    oninput: (e) => {
      state.smoothing = Number(e.target.value);
      smLabel.textContent = String(state.smoothing);
      clearTimeout(t);
      t = setTimeout(() => onChange({ smoothing: state.smoothing }), 200);
    },
  });
  return h('div', { class: 'toolbar chart-controls' },
    h('label', null, 'X axis ', xSel),
    h('label', null, log, ' Log scale'),
    h('label', null, 'Smoothing ', sm, ' ', smLabel),
    h('span', { class: 'muted' }, 'Drag on a chart to zoom; double-click to reset.'));
}
