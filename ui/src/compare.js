// Compare 2 to 100 runs: a parameter and metric table (optionally only the rows that
// differ), overlaid metric charts, parallel coordinates over chosen params and metrics,
// and a scatter plot of one against another. Canvas text is drawn with fillText, so run
// names never become markup.
import uPlot from 'uplot';
import { h, clear, fmtNum, fmtTick, num, section, empty, spinner, cssVar } from './dom.js';
import { mlflow, pool } from './api.js';
import { MetricChart, chartControls, COLORS, dotsPath } from './chart.js';
import { parseList, setQuery } from './url.js';
import { runHref } from './run.js';

export async function comparePage(root, q) {
  const ids = parseList(q.get('runs')).slice(0, 100);
  if (ids.length < 2) {
    root.appendChild(h('p', null, 'Pick 2 to 100 runs in a runs table to compare them.'));
    return;
  }
  root.appendChild(spinner(`Loading ${ids.length} runs…`));
  const runs = await pool(ids, 8, (id) => mlflow('GET', 'runs/get', { run_id: id }).then((r) => r.run));
  clear(root);
  const R = runs.map((r, i) => {
    const tags = Object.fromEntries((r.data.tags || []).map((t) => [t.key, t.value]));
    return {
      id: r.info.run_id,
      exp: r.info.experiment_id,
      name: r.info.run_name || tags['mlflow.runName'] || r.info.run_id,
      p: Object.fromEntries((r.data.params || []).map((x) => [x.key, x.value])),
      m: Object.fromEntries((r.data.metrics || []).map((x) => [x.key, num(x.value)])),
      color: COLORS[i % COLORS.length],
    };
  });
  const pkeys = [...new Set(R.flatMap((r) => Object.keys(r.p)))].sort();
  const mkeys = [...new Set(R.flatMap((r) => Object.keys(r.m)))].sort();
  const charts = [];
  document.title = `Compare ${R.length} runs · mltrack`;
  root.appendChild(h('div', { class: 'page-head' }, h('h1', null, `Comparing ${R.length} runs`)));

  // ---- the table ----
  const onlyDiff = h('input', { type: 'checkbox', checked: q.get('diff') === '1' });
  const tableWrap = h('div', { class: 'compare-table-wrap' });
  function differs(vals) {
    return new Set(vals.map((v) => (v === undefined ? '\u0000' : String(v)))).size > 1;
  }
  function renderTable() {
    const rows = [];
    const group = (label, keys, get, fmt) => {
      const shown = keys.filter((k) => !onlyDiff.checked || differs(R.map((r) => get(r, k))));
      rows.push(h('tr', { class: 'group' }, h('th', { colSpan: R.length + 1 }, `${label} (${shown.length}${shown.length !== keys.length ? ` of ${keys.length}` : ''})`)));
      for (const k of shown) {
        const vals = R.map((r) => get(r, k));
        const d = differs(vals);
        rows.push(h('tr', { class: d ? 'diff' : '' }, h('th', { class: 'key' }, k),
          vals.map((v) => h('td', { class: 'mono' }, v === undefined ? '' : fmt(v)))));
      }
    };
    group('Parameters', pkeys, (r, k) => r.p[k], String);
    group('Metrics (latest)', mkeys, (r, k) => r.m[k], fmtNum);
    clear(tableWrap).appendChild(h('table', { class: 'grid compare' },
      h('thead', null, h('tr', null, h('th', null, 'Run'), R.map((r) => h('th', null,
        h('span', { class: 'swatch', style: { background: r.color } }),
        h('a', { href: runHref(r.exp, r.id) }, r.name))))),
      h('tbody', null, rows)));
  }
  onlyDiff.addEventListener('change', () => { setQuery({ diff: onlyDiff.checked ? '1' : null }); renderTable(); });
  renderTable();
  root.appendChild(section('Parameters and metrics', h('label', { class: 'toolbar' }, onlyDiff, ' Only show differences'), tableWrap));

  // ---- overlaid charts ----
  const chartState = { xMode: 'step', log: false, smoothing: 0 };
  const chartsEl = h('div', { class: 'charts' });
  const wanted = parseList(q.get('metrics'));
  const chosen = new Set(wanted.length ? mkeys.filter((k) => wanted.includes(k)) : mkeys.slice(0, 4));
  const metricPick = h('div', { class: 'toolbar wrap' }, mkeys.map((k) => h('label', null,
    h('input', { type: 'checkbox', checked: chosen.has(k), onchange: (e) => {
      if (e.target.checked) chosen.add(k); else chosen.delete(k);
      setQuery({ metrics: [...chosen].join(',') });
      drawCharts();
    } }), ' ', k)));
  function drawCharts() {
    charts.splice(0).forEach((c) => c.destroy());
    clear(chartsEl);
    for (const k of mkeys.filter((x) => chosen.has(x))) {
      const series = R.filter((r) => k in r.m).map((r) => ({ runId: r.id, key: k, label: r.name }));
      charts.push(new MetricChart(chartsEl, series, { ...chartState, title: k }));
    }
  }
  root.appendChild(section('Metric charts', mkeys.length ? [metricPick, chartControls(chartState, (o) => charts.forEach((c) => c.setOptions(o))), chartsEl] : empty('These runs have no metrics.')));
  drawCharts();

  // ---- parallel coordinates ----
  const dims = [...pkeys.slice(0, 4).map((k) => `param:${k}`), ...mkeys.slice(0, 2).map((k) => `metric:${k}`)];
  const dimSet = new Set(dims);
  const pcCanvas = h('canvas', { class: 'pc', height: 320 });
  const dimPick = h('div', { class: 'toolbar wrap' },
    [...pkeys.map((k) => `param:${k}`), ...mkeys.map((k) => `metric:${k}`)].map((d) => h('label', null,
      h('input', { type: 'checkbox', checked: dimSet.has(d), onchange: (e) => { if (e.target.checked) dimSet.add(d); else dimSet.delete(d); drawPC(); } }),
      ' ', d.replace(':', ': '))));
  root.appendChild(section('Parallel coordinates', dimPick, h('div', { class: 'pc-wrap' }, pcCanvas)));

  function dimValues(d) {
    const [kind, ...rest] = d.split(':');
    const k = rest.join(':');
    return R.map((r) => (kind === 'param' ? r.p[k] : r.m[k]));
  }

  // A dimension's scale: numeric when every present value is a number, else categories.
  function scaleOf(vals) {
    const present = vals.filter((v) => v !== undefined && v !== '');
    const nums = present.map(Number);
    if (present.length && nums.every((n) => isFinite(n))) {
      const lo = Math.min(...nums), hi = Math.max(...nums);
      return { kind: 'num', pos: (v) => (v === undefined || v === '' ? null : hi === lo ? 0.5 : (Number(v) - lo) / (hi - lo)), lo, hi };
    }
    const cats = [...new Set(present.map(String))].sort();
    return { kind: 'cat', pos: (v) => (v === undefined ? null : cats.length === 1 ? 0.5 : cats.indexOf(String(v)) / (cats.length - 1)), cats };
  }

  function drawPC() {
    const dlist = [...dimSet];
    const w = Math.max(400, pcCanvas.parentElement ? pcCanvas.parentElement.clientWidth - 4 : 800);
    const H = 320, top = 30, bottom = 40, left = 60, right = 60;
    const dpr = window.devicePixelRatio || 1;
    pcCanvas.width = w * dpr;
    pcCanvas.height = H * dpr;
    pcCanvas.style.width = `${w}px`;
    pcCanvas.style.height = `${H}px`;
    const ctx = pcCanvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, H);
    ctx.font = '12px system-ui, sans-serif';
    const fg = cssVar('--chart-fg', '#333'), muted = cssVar('--muted', '#666');
    ctx.fillStyle = muted;
    if (dlist.length < 2) {
      ctx.fillText('Pick at least two parameters or metrics.', 20, 40);
      return;
    }
    const scales = dlist.map((d) => scaleOf(dimValues(d)));
    const xs = dlist.map((_, i) => left + (i * (w - left - right)) / (dlist.length - 1));
    const y = (p) => top + (1 - p) * (H - top - bottom);
    // Lines, coloured by run.
    R.forEach((r, ri) => {
      ctx.strokeStyle = r.color;
      ctx.globalAlpha = 0.8;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let pen = false;
      dlist.forEach((d, i) => {
        const p = scales[i].pos(dimValues(d)[ri]);
        if (p === null) { pen = false; return; }
        if (pen) ctx.lineTo(xs[i], y(p)); else ctx.moveTo(xs[i], y(p));
        pen = true;
      });
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
    // Axes with their labels and ends.
    dlist.forEach((d, i) => {
      ctx.strokeStyle = fg;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(xs[i], y(0));
      ctx.lineTo(xs[i], y(1));
      ctx.stroke();
      ctx.fillStyle = fg;
      ctx.textAlign = 'center';
      const label = d.replace(/^(param|metric):/, '');
      ctx.fillText(label.length > 24 ? `${label.slice(0, 23)}…` : label, xs[i], H - 12);
      ctx.fillStyle = muted;
      const s = scales[i];
      if (s.kind === 'num') {
        ctx.fillText(fmtNum(s.hi), xs[i], y(1) - 8);
        ctx.fillText(fmtNum(s.lo), xs[i], y(0) + 14);
      } else {
        s.cats.slice(0, 12).forEach((c) => {
          ctx.textAlign = 'left';
          ctx.fillText(c.length > 14 ? `${c.slice(0, 13)}…` : c, xs[i] + 4, y(s.pos(c)) + 4);
        });
      }
    });
  }
  requestAnimationFrame(drawPC);

  // ---- scatter ----
  // One uPlot series per run (each its own x and y: uPlot's mode 2), so runs that share
  // an x value are all drawn; a shared x axis would keep only one point per x.
  const all = [...pkeys.map((k) => `param:${k}`), ...mkeys.map((k) => `metric:${k}`)];
  const mkSel = (v, label) => h('select', { 'aria-label': label }, all.map((d) => h('option', { value: d, selected: d === v }, d.replace(':', ': '))));
  const xSel = mkSel(all.includes(q.get('sx')) ? q.get('sx') : all[0], 'Scatter x');
  const ySel = mkSel(all.includes(q.get('sy')) ? q.get('sy') : mkeys.length ? `metric:${mkeys[0]}` : all[1], 'Scatter y');
  const scEl = h('div', { class: 'scatter' });
  let scU = null;
  function drawScatter() {
    if (scU) { scU.destroy(); scU = null; }
    clear(scEl);
    if (!all.length) return;
    const xv = dimValues(xSel.value), yv = dimValues(ySel.value);
    const xsc = scaleOf(xv);
    const pts = R.map((r, i) => ({ r, x: xsc.kind === 'num' ? Number(xv[i]) : xsc.cats.indexOf(String(xv[i])), y: Number(yv[i]), has: xv[i] !== undefined && yv[i] !== undefined }))
      .filter((p) => p.has && isFinite(p.x) && isFinite(p.y));
    if (!pts.length) return scEl.appendChild(empty('No run has both values.'));
    const fg = cssVar('--chart-fg', '#333'), grid = cssVar('--chart-grid', 'rgba(0,0,0,0.07)');
    const ax = { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid } };
    const pad = (lo, hi) => { const d = hi - lo || Math.abs(hi) * 0.1 || 1; return [lo - d * 0.08, hi + d * 0.08]; };
    const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
    scU = new uPlot({
      mode: 2,
      width: Math.max(400, scEl.clientWidth || 700), height: 320,
      scales: { x: { time: false, range: () => pad(Math.min(...xs), Math.max(...xs)) }, y: { range: () => pad(Math.min(...ys), Math.max(...ys)) } },
      axes: [{ ...ax, label: xSel.value.replace(':', ': '), values: xsc.kind === 'cat' ? (u, ticks) => ticks.map((t) => (Number.isInteger(t) && xsc.cats[t] !== undefined ? xsc.cats[t] : '')) : (u, t, a, s, incr) => t.map((v) => fmtTick(v, incr)) },
        { ...ax, label: ySel.value.replace(':', ': '), size: 64, values: (u, t, a, s, incr) => t.map((v) => fmtTick(v, incr)) }],
      series: [{}, ...pts.map((p) => ({ label: p.r.name, stroke: p.r.color, fill: p.r.color, paths: dotsPath(4.5),
        points: { show: false }, facets: [{ scale: 'x', auto: false }, { scale: 'y', auto: false }] }))],
      legend: { show: false },
      cursor: { points: { show: false }, dataIdx: () => 0, drag: { x: false, y: false } },
      hooks: {
        // Where each run's point is on the canvas (device pixels), for the tests to look at.
        draw: [(u) => { scEl._points = pts.map((p) => ({ run: p.r.id, color: p.r.color, cx: Math.round(u.valToPos(p.x, 'x', true)), cy: Math.round(u.valToPos(p.y, 'y', true)) })); }],
      },
    }, [null, ...pts.map((p) => [[p.x], [p.y]])], scEl);
    scEl.appendChild(h('p', { class: 'muted small-text scatter-list' }, pts.map((p) => `${p.r.name}: (${fmtNum(xsc.kind === 'cat' ? xsc.cats[p.x] : p.x)}, ${fmtNum(p.y)})`).join(' · ')));
  }
  const onScatter = () => { setQuery({ sx: xSel.value, sy: ySel.value }); drawScatter(); };
  xSel.addEventListener('change', onScatter);
  ySel.addEventListener('change', onScatter);
  root.appendChild(section('Scatter', h('div', { class: 'toolbar' }, h('label', null, 'X ', xSel), h('label', null, 'Y ', ySel)), scEl));
  requestAnimationFrame(drawScatter);

  const onResize = () => drawPC();
  window.addEventListener('resize', onResize);
  return () => {
    window.removeEventListener('resize', onResize);
    charts.forEach((c) => c.destroy());
    if (scU) scU.destroy();
  };
}
