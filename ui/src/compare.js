// Compare 2 to 100 runs: a parameter and metric table (optionally only the rows that
// differ), overlaid metric charts, parallel coordinates over chosen params and metrics,
// and a scatter plot of one against another. Canvas text is drawn with fillText, so run
// names never become markup.
import uPlot from 'uplot';
import { h, clear, fmtNum, num, section, empty, spinner, showError } from './dom.js';
import { mlflow, pool } from './api.js';
import { MetricChart, chartControls, COLORS } from './chart.js';

export async function comparePage(root, q) {
  const ids = (q.get('runs') || '').split(',').filter(Boolean).slice(0, 100);
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
  const onlyDiff = h('input', { type: 'checkbox', checked: false });
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
        h('a', { href: `#/runs/${encodeURIComponent(r.id)}` }, r.name))))),
      h('tbody', null, rows)));
  }
  onlyDiff.addEventListener('change', renderTable);
  renderTable();
  root.appendChild(section('Parameters and metrics', h('label', { class: 'toolbar' }, onlyDiff, ' Only show differences'), tableWrap));

  // ---- overlaid charts ----
  const chartState = { xMode: 'step', log: false, smoothing: 0 };
  const chartsEl = h('div', { class: 'charts' });
  const chosen = new Set(mkeys.slice(0, 4));
  const metricPick = h('div', { class: 'toolbar wrap' }, mkeys.map((k) => h('label', null,
    h('input', { type: 'checkbox', checked: chosen.has(k), onchange: (e) => { if (e.target.checked) chosen.add(k); else chosen.delete(k); drawCharts(); } }), ' ', k)));
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
    ctx.fillStyle = '#555';
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
      ctx.strokeStyle = '#333';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(xs[i], y(0));
      ctx.lineTo(xs[i], y(1));
      ctx.stroke();
      ctx.fillStyle = '#222';
      ctx.textAlign = 'center';
      const label = d.replace(/^(param|metric):/, '');
      ctx.fillText(label.length > 24 ? `${label.slice(0, 23)}…` : label, xs[i], H - 12);
      ctx.fillStyle = '#666';
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
  const all = [...pkeys.map((k) => `param:${k}`), ...mkeys.map((k) => `metric:${k}`)];
  const mkSel = (v) => h('select', null, all.map((d) => h('option', { value: d, selected: d === v }, d.replace(':', ': '))));
  const xSel = mkSel(all[0]);
  const ySel = mkSel(mkeys.length ? `metric:${mkeys[0]}` : all[1]);
  const scEl = h('div', { class: 'scatter' });
  let scU = null;
  function drawScatter() {
    if (scU) { scU.destroy(); scU = null; }
    clear(scEl);
    if (!all.length) return;
    const xv = dimValues(xSel.value), yv = dimValues(ySel.value);
    const xsc = scaleOf(xv);
    const pts = R.map((r, i) => ({ r, x: xsc.kind === 'num' ? Number(xv[i]) : xsc.cats.indexOf(String(xv[i])), y: Number(yv[i]) }))
      .filter((p) => xv[R.indexOf(p.r)] !== undefined && isFinite(p.x) && isFinite(p.y))
      .sort((a, b) => a.x - b.x);
    if (!pts.length) return scEl.appendChild(empty('No run has both values.'));
    const data = [pts.map((p) => p.x), pts.map((p) => p.y)];
    scU = new uPlot({
      width: Math.max(400, scEl.clientWidth || 700), height: 320,
      scales: { x: { time: false } },
      axes: [{ label: xSel.value.replace(':', ': '), values: xsc.kind === 'cat' ? (u, ticks) => ticks.map((t) => (Number.isInteger(t) && xsc.cats[t] !== undefined ? xsc.cats[t] : '')) : undefined },
        { label: ySel.value.replace(':', ': '), size: 60 }],
      series: [{ label: xSel.value }, { label: ySel.value, stroke: '#1f77b4', paths: () => null, points: { show: true, size: 8, fill: '#1f77b4' } }],
      legend: { show: true },
    }, data, scEl);
    scEl.appendChild(h('p', { class: 'muted small-text' }, pts.map((p) => `${p.r.name}: (${fmtNum(xsc.kind === 'cat' ? xsc.cats[p.x] : p.x)}, ${fmtNum(p.y)})`).join(' · ')));
  }
  xSel.addEventListener('change', drawScatter);
  ySel.addEventListener('change', drawScatter);
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
