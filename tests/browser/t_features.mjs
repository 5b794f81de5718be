// The features of issue 16, in its order: sweeps (nested runs, group by), the chart view,
// shareable and fast to type (URL state, completion, time range, columns, copy), models,
// live and export, comfort; plus our endpoints' contracts and XSS in the new views.
import { join } from 'node:path';
import { H, test, assert, newPage, shot, noConsoleErrors, expectConsoleErrors, url, chartData, waitChart, download, SHOTS } from './harness.mjs';
import { XSS } from './seed.mjs';

const enc = encodeURIComponent;
const rowsOf = (page) => page.$$eval('.vt-win > .vt-row', (rs) => rs.map((r) => ({
  name: r.querySelector('a.run-link').textContent, group: r.classList.contains('group-row'),
  indent: parseFloat(r.querySelector('.name').style.paddingLeft), count: r.querySelector('a.run-link').dataset.count,
  pins: [...r.querySelectorAll('.vt-cell.pinned')].map((c) => ({ text: c.textContent, title: c.title })),
})));
const mean = (xs) => xs.reduce((a, v) => a + v, 0) / xs.length;

// Every run of an experiment through the API, with its params and latest metrics.
async function allRuns(exp) {
  const out = [];
  let token;
  do {
    const r = await H.api.post('runs/search', { experiment_ids: [exp], max_results: 1000, page_token: token });
    for (const run of r.runs || []) {
      out.push({ id: run.info.run_id, name: run.info.run_name, p: Object.fromEntries((run.data.params || []).map((x) => [x.key, x.value])),
        m: Object.fromEntries((run.data.metrics || []).map((x) => [x.key, x.value])), info: run.info });
    }
    token = r.next_page_token;
  } while (token);
  return out;
}

// ---- 1. sweeps ----

test('sweeps: nested runs sit under their parent, which expands to them (kept in the URL)', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  await page.goto(url(`#/experiments/${sw.exp}`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 2);
  let rows = await rowsOf(page);
  assert(rows.map((r) => r.name).join() === 'live-run,sweep-parent', `only top-level runs: ${rows.map((r) => r.name)}`);
  await page.click('.vt-row:has(a.run-link:text-is("sweep-parent")) .tree-toggle');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 8);
  rows = await rowsOf(page);
  const kids = rows.slice(2).map((r) => r.name);
  assert(JSON.stringify([...kids].sort()) === JSON.stringify(sw.children.map((c) => c.name).sort()), `the children follow their parent: ${kids}`);
  assert(rows.slice(2).every((r) => r.indent > rows[1].indent), 'and are indented');
  assert((await page.evaluate(() => location.hash)).includes(`expanded=${sw.parent}`), 'the expanded parent is in the URL');
  await shot(page, 'sweep-tree', false);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 8);
  await page.click('.vt-row:has(a.run-link:text-is("sweep-parent")) .tree-toggle');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 2);
  // The parent page lists its children.
  await page.goto(url(`#/experiments/${sw.exp}/runs/${sw.parent}`));
  await page.waitForSelector('a.child-link');
  assert((await page.$$('a.child-link')).length === 6, 'six child runs on the parent page');
  noConsoleErrors('nested runs');
  await page.close();
});

test('sweeps: group by a param, a dataset; aggregated rows and mean/min/max band charts', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  const runs = await allRuns(sw.exp);
  await page.goto(url(`#/experiments/${sw.exp}?groupBy=param:optimizer&pin=metric:val/acc`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row.group-row').length === 3);
  let rows = await rowsOf(page);
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
  assert(byName.adam && byName.sgd && byName['(not set)'], `groups: ${rows.map((r) => r.name)}`);
  assert(byName.adam.count === '3' && byName.sgd.count === '3' && byName['(not set)'].count === '2', 'counts');
  for (const opt of ['adam', 'sgd']) {
    const vals = runs.filter((r) => r.p.optimizer === opt).map((r) => r.m['val/acc']);
    const shown = Number(byName[opt].pins[0].text);
    assert(Math.abs(shown - mean(vals)) <= 1e-5 * mean(vals), `${opt}: mean val/acc ${shown} vs ${mean(vals)}`);
    assert(byName[opt].pins[0].title.includes(`mean of 3`), `title says what: ${byName[opt].pins[0].title}`);
  }
  await page.click('.vt-row:has(a.run-link:text-is("adam")) .tree-toggle');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 6);
  rows = await rowsOf(page);
  const at = rows.findIndex((r) => r.name === 'adam');
  const adamRuns = rows.slice(at + 1, at + 4).map((r) => r.name).sort();
  assert(JSON.stringify(adamRuns) === JSON.stringify(sw.children.filter((c) => c.optimizer === 'adam').map((c) => c.name).sort()), `the adam runs: ${adamRuns}`);
  await shot(page, 'group-by', false);
  // By dataset.
  await page.selectOption('select[aria-label="Group by"]', 'dataset');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row.group-row').length === 3);
  rows = await rowsOf(page);
  assert(rows.some((r) => r.name.startsWith('train-a (') && r.count === '3') && rows.some((r) => r.name.startsWith('train-b (') && r.count === '3'), `datasets: ${rows.map((r) => `${r.name}:${r.count}`)}`);
  // Charts of groups: the mean line with its band.
  await page.goto(url(`#/experiments/${sw.exp}?groupBy=param:optimizer&compareRunsMode=CHART`));
  await waitChart(page, 'val/acc');
  const g = await page.evaluate(() => {
    const c = [...document.querySelectorAll('.chart')].find((x) => x.querySelector('.chart-title').textContent === 'val/acc')._chart;
    return { bands: c.bands.length, lines: c.u.data.slice(1).map((d, i) => ({ label: c.meta[i].label, last: d[1][d[1].length - 1], x: d[0][d[0].length - 1] })) };
  });
  assert(g.bands === 2 && g.lines.length === 2, `two groups drawn: ${JSON.stringify(g)}`);
  for (const l of g.lines) {
    const opt = l.label.split(' ')[0];
    const vals = runs.filter((r) => r.p.optimizer === opt).map((r) => r.m['val/acc']);
    assert(l.x === 49 && Math.abs(l.last - mean(vals)) < 1e-9, `${l.label}: last mean ${l.last} at ${l.x} vs ${mean(vals)}`);
  }
  noConsoleErrors('group by');
  await page.close();
});

test('sweeps: a group sums up by mean, min or max (in the URL); sorting by a metric orders the groups', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  const runs = await allRuns(sw.exp);
  const vals = (opt) => runs.filter((r) => r.p.optimizer === opt).map((r) => r.m['val/acc']);
  const agg = { mean, min: (xs) => Math.min(...xs), max: (xs) => Math.max(...xs) };
  await page.goto(url(`#/experiments/${sw.exp}?groupBy=param:optimizer&pin=metric:val/acc`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row.group-row').length === 3);
  assert(await page.isVisible('select[aria-label="Aggregate"]'), 'the choice shows when grouped');
  for (const a of ['max', 'min']) {
    await page.selectOption('select[aria-label="Aggregate"]', a);
    await page.waitForFunction((want) => new URLSearchParams(location.hash.split('?')[1]).get('groupAgg') === want, a);
    const byName = Object.fromEntries((await rowsOf(page)).map((r) => [r.name, r]));
    for (const opt of ['adam', 'sgd']) {
      const shown = Number(byName[opt].pins[0].text), want = agg[a](vals(opt));
      assert(Math.abs(shown - want) <= 1e-5 * want, `${opt}: ${a} val/acc ${shown} vs ${want}`);
      assert(byName[opt].pins[0].title.startsWith(`${a} of 3`), `the title says which: ${byName[opt].pins[0].title}`);
    }
  }
  // Sorted by val/acc (highest first, then lowest first): the groups follow their aggregate,
  // the group without the metric last.
  await page.click('.vt-th[data-col="metric:val/acc"]');
  await page.waitForFunction(() => document.querySelector('.vt-th[data-col="metric:val/acc"]').textContent.includes('▼'));
  const order = async () => (await rowsOf(page)).filter((r) => r.group).map((r) => r.name);
  const best = ['adam', 'sgd'].sort((x, y) => agg.min(vals(y)) - agg.min(vals(x)));
  await page.waitForFunction((want) => [...document.querySelectorAll('.vt-win > .vt-row.group-row a.run-link')].map((a) => a.textContent).join() === want, [...best, '(not set)'].join());
  await page.click('.vt-th[data-col="metric:val/acc"]');
  await page.waitForFunction(() => document.querySelector('.vt-th[data-col="metric:val/acc"]').textContent.includes('▲'));
  await page.waitForFunction((want) => [...document.querySelectorAll('.vt-win > .vt-row.group-row a.run-link')].map((a) => a.textContent).join() === want, [...best].reverse().concat('(not set)').join());
  assert((await order()).length === 3, 'three groups');
  // Reload: the same choice; the charts draw the groups' highest values inside their bands.
  await page.goto(url(`#/experiments/${sw.exp}?groupBy=param:optimizer&groupAgg=max&compareRunsMode=CHART`));
  assert((await page.inputValue('select[aria-label="Aggregate"]')) === 'max', 'kept in the URL');
  await waitChart(page, 'val/acc');
  const g = await page.evaluate(() => {
    const c = [...document.querySelectorAll('.chart')].find((x) => x.querySelector('.chart-title').textContent === 'val/acc')._chart;
    return c.u.data.slice(1).map((d, i) => ({ label: c.meta[i].label, xs: Array.from(d[0]), ys: Array.from(d[1]),
      band: { xs: Array.from(c.bands[i].xs), hi: Array.from(c.bands[i].hi), lo: Array.from(c.bands[i].lo) } }));
  });
  assert(g.length === 2, `two groups drawn: ${g.map((x) => x.label)}`);
  for (const l of g) {
    const opt = l.label.split(' ')[0];
    assert(l.label === `${opt} (max of 3)`, `the line says what it is: ${l.label}`);
    const k = l.xs.length - 1;
    assert(l.xs[k] === 49 && Math.abs(l.ys[k] - agg.max(vals(opt))) < 1e-9, `${opt}: highest last val/acc ${l.ys[k]} vs ${agg.max(vals(opt))}`);
    const inBand = l.xs.every((x, j) => { const b = l.band.xs.indexOf(x); return b >= 0 && l.band.lo[b] <= l.ys[j] + 1e-12 && l.ys[j] <= l.band.hi[b] + 1e-12; });
    assert(inBand, `${opt}: the line stays inside its min-max band`);
    const b = l.band.xs.indexOf(49);
    assert(l.band.hi[b] >= agg.max(vals(opt)) - 1e-12 && l.band.lo[b] <= agg.min(vals(opt)) + 1e-12, `${opt}: the band spans the runs at step 49`);
  }
  noConsoleErrors('group aggregates');
  await page.close();
});

test('sweeps: group by two keys (optimizer, then lr): one group per combination, in the URL', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  const runs = await allRuns(sw.exp);
  await page.goto(url(`#/experiments/${sw.exp}?groupBy=param:optimizer&pin=metric:val/acc,param:lr`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row.group-row').length === 3);
  await page.selectOption('select[aria-label="Then group by"]', 'param:lr');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row.group-row').length === 7);
  const hash = await page.evaluate(() => location.hash);
  assert(new URLSearchParams(hash.split('?')[1]).get('groupBy') === 'param:optimizer,param:lr', `both keys in the URL: ${hash}`);
  const check = async () => {
    const rows = (await rowsOf(page)).filter((r) => r.group);
    const want = sw.children.map((c) => `${c.optimizer} · ${runs.find((r) => r.id === c.id).p.lr}`);
    const names = rows.map((r) => r.name);
    assert(want.every((w) => names.includes(w)) && names.includes('(not set) · (not set)'), `the combinations: ${names}`);
    // Ordered by optimizer, then by lr as a number.
    const adam = names.filter((n) => n.startsWith('adam'));
    const lrs = adam.map((n) => Number(n.split(' · ')[1]));
    assert(names.indexOf(adam[0]) < names.findIndex((n) => n.startsWith('sgd')) && lrs.every((v, i) => !i || lrs[i - 1] < v), `order: ${names}`);
    for (const c of sw.children) {
      const r = rows.find((x) => x.name === `${c.optimizer} · ${runs.find((y) => y.id === c.id).p.lr}`);
      const v = runs.find((y) => y.id === c.id).m['val/acc'];
      assert(r.count === '1' && Math.abs(Number(r.pins[0].text) - v) <= 1e-5 * v, `${r.name}: one run, its val/acc ${r.pins[0].text} vs ${v}`);
      assert(r.name.endsWith(` · ${r.pins[1].text}`), `the lr column of ${r.name} shows its lr: ${r.pins[1].text}`);
    }
  };
  await check();
  await shot(page, 'group-by-two', false);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row.group-row').length === 7);
  assert((await page.inputValue('select[aria-label="Group by"]')) === 'param:optimizer' && (await page.inputValue('select[aria-label="Then group by"]')) === 'param:lr', 'both choices after a reload');
  await check();
  // Back to one key, then none.
  await page.selectOption('select[aria-label="Then group by"]', '');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row.group-row').length === 3);
  await page.selectOption('select[aria-label="Group by"]', '');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row.group-row').length === 0 && document.querySelectorAll('.vt-win > .vt-row').length === 2);
  assert(!(await page.isVisible('select[aria-label="Then group by"]')), 'the second choice hides with the first');
  noConsoleErrors('two group keys');
  await page.close();
});

test('sweeps: group 10,000 runs by a param (time printed)', async () => {
  const page = await newPage();
  const runs = await allRuns(H.seed.many.exp);
  await page.goto(url(`#/experiments/${H.seed.many.exp}?pin=metric:loss`));
  await page.waitForSelector('.vt-row');
  const t0 = Date.now();
  await page.selectOption('select[aria-label="Group by"]', 'param:opt');
  await page.waitForFunction(() => /^10,000 runs in 2 groups/.test(document.querySelector('.count').textContent), null, { timeout: 60000 });
  const ms = Date.now() - t0;
  const rows = await rowsOf(page);
  for (const opt of ['adam', 'sgd']) {
    const mine = runs.filter((r) => r.p.opt === opt);
    const r = rows.find((x) => x.name === opt);
    assert(r && r.count === String(mine.length), `${opt}: ${r && r.count} runs`);
    const want = mean(mine.map((x) => x.m.loss));
    assert(Math.abs(Number(r.pins[0].text) - want) <= 1e-5 * want, `${opt}: mean loss ${r.pins[0].text} vs ${want}`);
  }
  H.report.push(`group by a param over 10,000 runs: all pages loaded and grouped in ${ms} ms`);
  noConsoleErrors('group 10k');
  await page.close();
});

// ---- 2. the chart view ----

test('chart view: sections by prefix, search, bar charts for single values, hide and colour runs', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  await page.goto(url(`#/experiments/${sw.exp}?compareRunsMode=CHART&expanded=${sw.parent}`));
  await waitChart(page, 'val/loss');
  const sections = await page.$$eval('.cv-section', (ss) => ss.map((s) => s.dataset.section));
  for (const want of ['Model metrics', 'train/', 'val/', 'test/', 'System metrics', 'live/'])
    assert(sections.includes(want), `section ${want}: ${sections}`);
  assert((await page.$$eval('.cv-section[data-section="val/"] .cv-cell', (cs) => cs.map((c) => c.dataset.key))).join() === 'val/acc,val/loss', 'val/ holds its two charts');
  // test/f1 has one value per run: bars.
  await page.waitForSelector('.cv-cell[data-key="test/f1"] .bar-chart');
  const bars = await page.evaluate(() => document.querySelector('.cv-cell[data-key="test/f1"] .bar-chart')._chart.bars.map((b) => [b.label, b.value]));
  assert(bars.length === 6 && bars.every(([, v]) => v > 0.59 && v < 0.9), `six bars: ${JSON.stringify(bars)}`);
  await shot(page, 'chart-view', false);
  // Hide a run; colour another.
  const before = (await chartData(page, 'val/loss')).map((s) => s.label);
  await page.uncheck('.cv-run[data-run] input[aria-label="Show trial-0"]');
  await waitChart(page, 'val/loss');
  await page.waitForFunction(() => !document.querySelector('.cv-cell[data-key="val/loss"] .chart-status').textContent.startsWith('Loading'));
  const after = (await chartData(page, 'val/loss')).map((s) => s.label);
  assert(before.includes('trial-0') && !after.includes('trial-0') && after.length === before.length - 1, `trial-0 hidden: ${after}`);
  assert((await page.evaluate(() => location.hash)).includes(`hide=${sw.children[0].id}`), 'hidden runs are in the URL');
  await page.fill('input[aria-label="Colour of trial-1"]', '#ff0000');
  await page.waitForFunction(() => {
    const c = document.querySelector('.cv-cell[data-key="val/loss"] .chart');
    return c && c._chart && c._chart.u && c._chart.u.series.some((s) => s.label === 'trial-1' && s.stroke && s.stroke(c._chart.u, 1) === '#ff0000');
  });
  // Search over the charts.
  await page.fill('input[aria-label="Search charts"]', 'val/');
  await page.waitForFunction(() => document.querySelectorAll('.cv-cell').length === 2);
  assert((await page.$$eval('.cv-cell', (cs) => cs.map((c) => c.dataset.key))).join() === 'val/acc,val/loss', 'search keeps the val/ charts');
  await page.fill('input[aria-label="Search charts"]', '/^(lr|test)/');
  await page.waitForFunction(() => document.querySelectorAll('.cv-cell').length === 2);
  assert((await page.$$eval('.cv-cell', (cs) => cs.map((c) => c.dataset.key).sort())).join() === 'lr,test/f1', 'a regular expression too');
  noConsoleErrors('chart view');
  await page.close();
});

test('chart view: add, remove, move, resize, full screen; x axis = another metric, log x, axis ranges, ignore outliers', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  const base = `#/experiments/${sw.exp}?compareRunsMode=CHART&expanded=${sw.parent}`;
  await page.goto(url(base));
  await waitChart(page, 'val/loss');
  const settings = async (key, fill) => {
    await page.click(`.cv-cell[data-key="${key}"] button:has-text("Settings")`);
    await page.waitForSelector('.modal .chart-settings');
    await fill();
    await page.click('.modal button.primary');
    await page.waitForSelector('.modal', { state: 'detached' });
  };
  // Add val/acc against val/loss.
  await page.click('button:has-text("Add chart")');
  await page.selectOption('.modal select[aria-label="Metric"]', 'val/acc');
  await page.selectOption('.modal select[aria-label="X axis"]', 'metric:val/loss');
  await page.click('.modal button:has-text("Add")');
  await waitChart(page, 'val/acc vs val/loss');
  const vs = await chartData(page, 'val/acc vs val/loss');
  const t0 = vs.find((s) => s.label === 'trial-0');
  const hl = (await H.api.get('metrics/get-history', { run_id: sw.children[0].id, metric_key: 'val/loss' })).metrics;
  const ha = (await H.api.get('metrics/get-history', { run_id: sw.children[0].id, metric_key: 'val/acc' })).metrics;
  const pairs = hl.map((m) => [m.value, ha.find((a) => a.step === m.step).value]).sort((a, b) => a[0] - b[0]);
  assert(t0 && t0.xs.length === 50 && t0.xs.every((x, k) => Math.abs(x - pairs[k][0]) < 1e-12 && Math.abs(t0.ys[k] - pairs[k][1]) < 1e-12), 'x = val/loss, y = val/acc, joined by step');
  // Remove lr; it stays removed after a reload.
  await page.click('.cv-cell[data-key="lr"] button[aria-label="Remove chart"]');
  await page.waitForFunction(() => !document.querySelector('.cv-cell[data-key="lr"]'));
  await page.reload();
  await waitChart(page, 'val/loss');
  assert(await page.$('.cv-cell[data-key="lr"]') === null, 'lr stays removed');
  assert(await page.$('.cv-cell[data-key="val/acc"] + .cv-cell') !== null, 'the added chart is still there');
  // Move val/acc after val/loss.
  await page.click('.cv-section[data-section="val/"] .cv-cell[data-key="val/acc"] button[aria-label="Move later"]');
  await page.waitForFunction(() => [...document.querySelectorAll('.cv-section[data-section="val/"] .cv-cell')].map((c) => c.dataset.key)[0] === 'val/loss');
  // Resize val/loss to L, log x and a y range on train/loss, outliers ignored on lr... on val/loss.
  await settings('val/loss', () => page.selectOption('.modal select[aria-label="Size"]', '3'));
  await page.waitForSelector('.cv-cell.size-3[data-key="val/loss"]');
  await settings('train/loss', async () => {
    await page.check('.modal input[aria-label="Log x"]');
    await page.fill('.modal input[aria-label="Y min"]', '0');
    await page.fill('.modal input[aria-label="Y max"]', '0.5');
  });
  await waitChart(page, 'train/loss');
  await page.waitForFunction(() => {
    const c = document.querySelector('.cv-cell[data-key="train/loss"] .chart')._chart;
    return c.u && c.u.scales.x.distr === 3 && c.u.scales.y.min === 0 && c.u.scales.y.max === 0.5;
  });
  // Ignore outliers: the y axis leaves out the first, largest losses.
  await waitChart(page, 'val/loss');
  const maxBefore = await page.evaluate(() => document.querySelector('.cv-cell[data-key="val/loss"] .chart')._chart.u.scales.y.max);
  await settings('val/loss', () => page.check('.modal input[aria-label="Ignore outliers"]'));
  await waitChart(page, 'val/loss');
  const ys = (await chartData(page, 'val/loss')).flatMap((s) => s.ys);
  const maxAfter = await page.evaluate(() => document.querySelector('.cv-cell[data-key="val/loss"] .chart')._chart.u.scales.y.max);
  assert(maxAfter < maxBefore && maxAfter < Math.max(...ys), `outliers ignored: y max ${maxBefore} -> ${maxAfter}, data max ${Math.max(...ys)}`);
  // Full screen and back.
  await page.click('.cv-cell[data-key="val/acc"]:not([data-id*="#"]) button[aria-label="Full screen"]');
  await page.waitForSelector('.cv-cell.fullscreen');
  const h = await page.evaluate(() => document.querySelector('.cv-cell.fullscreen .chart')._chart.u.height);
  assert(h > 600, `full screen chart height ${h}`);
  await page.keyboard.press('Escape');
  await page.waitForSelector('.cv-cell.fullscreen', { state: 'detached' });
  const layout = JSON.parse(new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]).get('charts'));
  assert(layout.removed.includes('lr') && layout.charts.some((c) => c.x === 'metric:val/loss'), `the layout is in the URL: ${JSON.stringify(layout)}`);
  noConsoleErrors('chart view editing');
  await page.close();
});

test('chart view: 100 runs of 100,000 points on one chart (timings printed)', async () => {
  const page = await newPage();
  await page.goto(url(`#/experiments/${H.seed.hundred.exp}`));
  await page.waitForSelector('.vt-row');
  const t = await page.evaluate(() => new Promise((res) => {
    const t0 = performance.now();
    let first = 0;
    const obs = new MutationObserver(() => {
      const c = document.querySelector('.chart[data-ready]');
      if (c && !first) first = performance.now() - t0;
      if (c && c.dataset.exact) { obs.disconnect(); res({ first, exact: performance.now() - t0 }); }
    });
    obs.observe(document.body, { subtree: true, childList: true, attributes: true });
    location.hash = `${location.hash.split('?')[0]}?compareRunsMode=CHART&chartRuns=100`;
  }));
  await waitChart(page, 'signal', 60000);
  const info = await page.evaluate(() => {
    const c = document.querySelector('.cv-cell[data-key="signal"] .chart')._chart;
    return { series: c.u.data.length - 1, status: c.status.textContent, points: Number(c.el.dataset.points), drawn: Number(c.el.dataset.drawn) };
  });
  assert(info.series === 100 && info.points === 10000000, `100 series, 10,000,000 points: ${JSON.stringify(info)}`);
  assert(info.drawn < 1000000, `drawn from the M4 buckets: ${info.drawn}`);
  // Every spike (+3 every 9,973 steps) of every run is on the chart.
  const spikes = await page.evaluate(() => document.querySelector('.cv-cell[data-key="signal"] .chart')._chart.u.data.slice(1).map((d) => d[1].filter((y) => y > 2.5).length));
  assert(spikes.every((n) => n === 11), `11 spikes per run: ${spikes.slice(0, 10)}`);
  // Zoom in: the server sends that range in finer detail.
  const box = await (await page.$('.cv-cell[data-key="signal"] .u-over')).boundingBox();
  const z0 = Date.now();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.52, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(() => { const s = document.querySelector('.cv-cell[data-key="signal"] .chart-status').textContent; return !/Loading/.test(s) && !s.startsWith('10,000,000'); }, null, { timeout: 60000 });
  const zoomMs = Date.now() - z0;
  const zs = await page.textContent('.cv-cell[data-key="signal"] .chart-status');
  // Frame times while the cursor moves over 100 series (the hover box follows it).
  const hover = await page.evaluate(async () => {
    const over = document.querySelector('.cv-cell[data-key="signal"] .u-over');
    const r = over.getBoundingClientRect();
    const times = [];
    let last = performance.now();
    for (let i = 0; i < 60; i++) {
      over.dispatchEvent(new MouseEvent('mousemove', { clientX: r.left + (i / 60) * r.width, clientY: r.top + r.height / 2, bubbles: true }));
      await new Promise((f) => requestAnimationFrame(f));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    times.sort((a, b) => a - b);
    return { median: times[30], p95: times[57] };
  });
  await page.dblclick('.cv-cell[data-key="signal"] .u-over');
  await page.waitForFunction(() => document.querySelector('.cv-cell[data-key="signal"] .chart-status').textContent.startsWith('10,000,000'));
  await shot(page, 'chart-view-100', false);
  H.report.push(`chart view, 100 runs x 100,000 points on one chart: preview drawn ${t.first.toFixed(0)} ms, exact min/max chart ${t.exact.toFixed(0)} ms after opening the view ("${info.status}"); zoom to 2% in ${zoomMs} ms ("${zs}"); hover frame time median ${hover.median.toFixed(1)} ms, p95 ${hover.p95.toFixed(1)} ms`);
  noConsoleErrors('100 runs chart');
  await page.close();
});

// ---- 3. shareable and fast to type ----

test('filter box completes metric, param, tag and attribute names, operators and values', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  await page.goto(url(`#/experiments/${sw.exp}`));
  await page.waitForSelector('.vt-row');
  const box = 'input[aria-label="Filter runs"]';
  const items = () => page.$$eval('.ac-list:not([hidden]) .ac-text', (xs) => xs.map((x) => x.textContent));
  await page.click(box);
  await page.keyboard.type('val');
  await page.waitForSelector('.ac-list:not([hidden])');
  let got = await items();
  assert(got.includes('metrics.`val/acc`') && got.includes('metrics.`val/loss`'), `metric names: ${got}`);
  await shot(page, 'filter-complete', false);
  await page.click('.ac-item:has(.ac-text:text-is("metrics.`val/acc`"))');
  assert((await page.inputValue(box)) === 'metrics.`val/acc` ', 'the name is written, quoted');
  got = await items();
  assert(JSON.stringify(got) === JSON.stringify(['=', '!=', '<', '<=', '>', '>=']), `numeric operators: ${got}`);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.keyboard.type('0.89 ');
  got = await items();
  assert(got.join() === 'AND', `then AND: ${got}`);
  await page.keyboard.press('Tab');
  await page.keyboard.type('params.opt');
  got = await items();
  assert(got.includes('params.optimizer'), `param names: ${got}`);
  await page.keyboard.press('Tab');
  got = await items();
  assert(got.includes('LIKE') && got.includes('IS NULL'), `string operators: ${got}`);
  await page.keyboard.type('= ');
  got = await items();
  assert(got.join() === "'adam','sgd'", `values seen: ${got}`);
  await page.keyboard.press('Tab');
  assert((await page.inputValue(box)) === "metrics.`val/acc` > 0.89 AND params.optimizer = 'adam' ", `the filter: ${await page.inputValue(box)}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 3);
  const names = (await rowsOf(page)).map((r) => r.name).sort();
  assert(names.join() === 'trial-0,trial-1,trial-2', `matching runs: ${names}`);
  // Attributes and their values.
  await page.fill(box, '');
  await page.keyboard.type('attributes.sta');
  got = await items();
  assert(got.includes('attributes.status') && got.includes('attributes.start_time'), `attributes: ${got}`);
  await page.fill(box, 'attributes.status = ');
  await page.keyboard.press('End');
  await page.keyboard.type("'R");
  got = await items();
  assert(got.includes("'RUNNING'"), `status values: ${got}`);
  // Tag names and their values (the small experiment's runs have a team tag).
  await page.goto(url(`#/experiments/${H.seed.small.exp}`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 6);
  await page.click(box);
  await page.keyboard.type('tags.te');
  await page.waitForSelector('.ac-list:not([hidden])');
  got = await items();
  assert(got.includes('tags.team'), `tag names: ${got}`);
  await page.keyboard.press('Tab');
  await page.keyboard.type('= ');
  got = await items();
  assert(got.join() === "'nlp','vision'", `tag values seen: ${got}`);
  noConsoleErrors('completion');
  await page.close();
});

function localInput(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

test('time-range filter: presets and a custom range, in the URL', async () => {
  const page = await newPage();
  // The small experiment's runs started on 2026-01-05 from 09:00 UTC, a minute apart.
  const t0 = Date.UTC(2026, 0, 5, 9, 0, 0);
  await page.goto(url(`#/experiments/${H.seed.small.exp}`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 6);
  await page.selectOption('select[aria-label="Time range"]', 'CUSTOM');
  await page.fill('input[aria-label="Started after"]', localInput(t0 + 90000));
  await page.fill('input[aria-label="Started before"]', localInput(t0 + 210000));
  await page.dispatchEvent('input[aria-label="Started before"]', 'change');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 2);
  assert((await rowsOf(page)).map((r) => r.name).sort().join() === 'run-2,run-3', 'runs started in the range');
  const hash = await page.evaluate(() => location.hash);
  assert(/startTimeLabel=CUSTOM/.test(hash) && /startTime=/.test(hash) && /endTime=/.test(hash), `in the URL: ${hash}`);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 2);
  // A preset: the sweep's runs were made minutes ago, the small experiment's long before.
  await page.goto(url(`#/experiments/${H.seed.small.exp}?startTimeLabel=LAST_24_HOURS`));
  await page.waitForSelector('.vt-empty:not([hidden])');
  await page.goto(url(`#/experiments/${H.seed.sweep.exp}?startTimeLabel=LAST_24_HOURS`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 2);
  assert((await page.inputValue('select[aria-label="Time range"]')) === 'LAST_24_HOURS', 'the preset is shown');
  noConsoleErrors('time range');
  await page.close();
});

test('columns: resize, pin and reorder (kept in the URL); run ID copy buttons', async () => {
  const page = await newPage();
  const exp = H.seed.small.exp;
  await page.goto(url(`#/experiments/${exp}`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 6);
  const headCols = () => page.$$eval('.vt-head .vt-th[data-col]', (cs) => cs.map((c) => c.dataset.col));
  // Resize User by 100 px.
  const w0 = (await (await page.$('.vt-th[data-col="attr:user_id"]')).boundingBox()).width;
  const rz = await (await page.$('.vt-th[data-col="attr:user_id"] .vt-resize')).boundingBox();
  await page.mouse.move(rz.x + 3, rz.y + 10);
  await page.mouse.down();
  await page.mouse.move(rz.x + 103, rz.y + 10, { steps: 5 });
  await page.mouse.up();
  const w1 = (await (await page.$('.vt-th[data-col="attr:user_id"]')).boundingBox()).width;
  assert(Math.abs(w1 - w0 - 100) <= 2, `resized ${w0} -> ${w1}`);
  // Move Status before Created.
  const st = await (await page.$('.vt-th[data-col="attr:status"]')).boundingBox();
  const cr = await (await page.$('.vt-th[data-col="attr:start_time"]')).boundingBox();
  await page.mouse.move(st.x + st.width / 2, st.y + 10);
  await page.mouse.down();
  await page.mouse.move(cr.x + 10, cr.y + 10, { steps: 8 });
  await page.mouse.up();
  let cols = await headCols();
  assert(cols.indexOf('attr:status') < cols.indexOf('attr:start_time'), `Status moved before Created: ${cols}`);
  // Pin accuracy: it stays in view when the table scrolls sideways.
  await page.click('.vt-th[data-col="metric:accuracy"] .pin-btn');
  await page.waitForSelector('.vt-th.pinned[data-col="metric:accuracy"]');
  const x0 = (await (await page.$('.vt-th.pinned[data-col="metric:accuracy"]')).boundingBox()).x;
  await page.evaluate(() => { document.querySelector('.vt').scrollLeft = 100000; });
  await page.waitForTimeout(150);
  const x1 = (await (await page.$('.vt-th.pinned[data-col="metric:accuracy"]')).boundingBox()).x;
  assert(Math.abs(x1 - x0) < 1, `the pinned column stays put: ${x0} -> ${x1}`);
  const pinnedCell = await page.$$eval('.vt-win > .vt-row .vt-cell.pinned', (cs) => cs.map((c) => c.textContent));
  assert(pinnedCell.length === 6 && pinnedCell.every((t) => Number(t) > 0.5), `pinned cells: ${pinnedCell}`);
  const hash = await page.evaluate(() => location.hash);
  assert(/pin=metric%3Aaccuracy|pin=metric:accuracy/.test(hash) && /widths=/.test(hash) && /cols=/.test(hash), `columns in the URL: ${hash}`);
  // Another tab with the link: same columns.
  const other = await newPage();
  await other.goto(`${H.srv.base}/${hash}`);
  await other.waitForSelector('.vt-th.pinned[data-col="metric:accuracy"]');
  cols = await other.$$eval('.vt-head .vt-th[data-col]', (cs) => cs.map((c) => c.dataset.col));
  assert(cols.indexOf('attr:status') < cols.indexOf('attr:start_time'), 'the order travels with the link');
  assert(Math.abs((await (await other.$('.vt-th[data-col="attr:user_id"]')).boundingBox()).width - w1) <= 1, 'and the width');
  await other.close();
  // Copy a run's ID from its row.
  await page.evaluate(() => { document.querySelector('.vt').scrollLeft = 0; });
  const row = await page.$('.vt-row:has(a.run-link:text-is("run-1"))');
  await row.hover();
  await page.click('.vt-row:has(a.run-link:text-is("run-1")) .copy-id');
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert(clip === H.seed.small.runs[1].id, `copied ${clip}`);
  noConsoleErrors('columns');
  await page.close();
});

// ---- 4. models ----

test('models: a run\'s logged models, the experiment\'s list, the model page, versions side by side', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  await page.goto(url(`#/experiments/${sw.exp}/runs/${sw.children[0].id}`));
  await page.waitForSelector(`tr[data-model="${sw.model_id}"]`);
  const row = await page.textContent(`tr[data-model="${sw.model_id}"]`);
  assert(row.includes('sweep-model v1') && row.includes('READY'), `logged model row: ${row}`);
  await page.click(`tr[data-model="${sw.model_id}"] a:has-text("Files")`);
  await page.waitForSelector('.art-tree .model-root li.file');
  assert((await page.evaluate(() => location.hash)).includes(`model=${sw.model_id}`), 'the files of that model');
  // The experiment's logged models.
  await page.goto(url(`#/experiments/${sw.exp}/models`));
  await page.waitForSelector('table.logged-models a.logged-model-link');
  const list = await page.$$eval('table.logged-models tbody tr', (rs) => rs.map((r) => r.textContent));
  assert(list.length === 2 && list.some((t) => t.includes(sw.model_id) && t.includes('trial-0')) && list.some((t) => t.includes(sw.model_id_2) && t.includes('trial-1')), `models list: ${list}`);
  // The model page: flavors, signature, registered versions, files.
  await page.click(`tr[data-model="${sw.model_id}"] a.logged-model-link`);
  await page.waitForSelector('table.schema');
  await page.waitForSelector('a.registered-link');
  const ov = await page.textContent('main');
  assert(ov.includes('python_function, sklearn') && ov.includes('sweep-model v1'), 'flavors and versions');
  await shot(page, 'logged-model', true);
  // The version page links its source model.
  await page.goto(url('#/models/sweep-model/versions/1'));
  await page.waitForFunction(() => /models\/m-/.test((document.querySelector('a.source-model') || {}).href || ''));
  await page.click('a.source-model');
  await page.waitForSelector('table.schema');
  assert((await page.evaluate(() => location.hash)).endsWith(`/models/${sw.model_id}`), 'source model link');
  // Two versions compared.
  await page.goto(url('#/models/sweep-model'));
  await page.check('input[aria-label="Select version 1"]');
  await page.check('input[aria-label="Select version 2"]');
  await page.click('button:has-text("Compare (2)")');
  await page.waitForSelector('table.versions-compare');
  const rows = await page.$$eval('table.versions-compare tbody tr', (rs) => rs.map((r) => ({ diff: r.classList.contains('diff'), cells: [...r.children].map((c) => c.textContent) })));
  const get = (k) => rows.find((r) => r.cells[0] === k);
  assert(get('lr') && get('lr').diff && get('lr').cells.slice(1).join() === '0.0001,0.0003', `params side by side: ${JSON.stringify(get('lr'))}`);
  assert(get('Inputs') && !get('Inputs').diff && get('Inputs').cells[1] === 'float64[-1,2]', `schema: ${JSON.stringify(get('Inputs'))}`);
  assert(get('Source run').cells.slice(1).join() === 'trial-0,trial-1', 'source runs');
  assert(get('Aliases').cells[1] === '@champion', 'aliases');
  // The source runs' latest metrics, side by side.
  const latest = await Promise.all([sw.children[0].id, sw.children[1].id].map(async (id) =>
    Object.fromEntries((await H.api.get('runs/get', { run_id: id })).run.data.metrics.map((m) => [m.key, m.value]))));
  for (const key of ['val/acc', 'val/loss']) {
    const r = get(key);
    assert(r && r.cells.slice(1).every((c, i) => Math.abs(Number(c) - latest[i][key]) <= 1e-5 * Math.abs(latest[i][key])),
      `metric ${key} side by side: ${JSON.stringify(r)} vs ${latest.map((m) => m[key])}`);
  }
  await shot(page, 'version-compare', true);
  noConsoleErrors('models');
  await page.close();
});

// ---- 5. live and export ----

test('live: the runs table and a running run\'s charts refresh by themselves', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  await page.goto(url(`#/experiments/${sw.exp}?refresh=2&pin=metric:live/loss`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 2);
  const cell = () => page.$eval('.vt-row:has(a.run-link:text-is("live-run")) .vt-cell.pinned', (c) => c.textContent);
  assert((await cell()) === '0.9', `before: ${await cell()}`);
  await H.api.post('runs/log-metric', { run_id: sw.live, key: 'live/loss', value: 0.5, timestamp: Date.now(), step: 2 });
  await page.waitForFunction(() => [...document.querySelectorAll('.vt-win > .vt-row')].some((r) => r.querySelector('a.run-link').textContent === 'live-run' && r.querySelector('.vt-cell.pinned').textContent === '0.5'), null, { timeout: 10000 });
  // A new run appears at the top.
  const { run } = await H.api.post('runs/create', { experiment_id: sw.exp, run_name: 'arrived-later', start_time: Date.now() });
  await page.waitForFunction(() => document.querySelector('.vt-win > .vt-row a.run-link').textContent === 'arrived-later', null, { timeout: 10000 });
  await H.api.post('runs/delete', { run_id: run.info.run_id });
  // The running run's chart follows its new points.
  await page.goto(url(`#/experiments/${sw.exp}/runs/${sw.live}/model-metrics?refresh=2`));
  await waitChart(page, 'live/loss');
  const pts = () => page.$eval('.chart', (c) => Number(c.dataset.points));
  assert((await pts()) === 3, `3 points: ${await pts()}`);
  await H.api.post('runs/log-metric', { run_id: sw.live, key: 'live/loss', value: 0.4, timestamp: Date.now(), step: 3 });
  await page.waitForFunction(() => Number(document.querySelector('.chart').dataset.points) === 4, null, { timeout: 10000 });
  noConsoleErrors('live');
  await page.close();
});

test('Download CSV: every run of the table, streamed by the server (time printed)', async () => {
  const page = await newPage();
  const exp = H.seed.many.exp;
  await page.goto(url(`#/experiments/${exp}`));
  await page.waitForSelector('.vt-row');
  assert(/1,000 runs loaded/.test(await page.textContent('.count')), 'one page loaded in the browser');
  const t0 = Date.now();
  const { name, bytes } = await download(page, () => page.click('button:has-text("Download CSV")'));
  const ms = Date.now() - t0;
  const lines = bytes.toString('utf8').split('\r\n').filter(Boolean);
  assert(name === 'runs.csv' && lines.length === 10001, `${name}: ${lines.length} lines`);
  const head = lines[0].split(',');
  assert(head[0] === 'run_name' && head[1] === 'run_id' && head.includes('metrics.loss') && head.includes('params.batch'), `the table's columns: ${head.slice(0, 12)}`);
  const runs = await allRuns(exp);
  const byId = new Map(runs.map((r) => [r.id, r]));
  for (const line of [lines[1], lines[5000], lines[10000]]) {
    const cells = line.split(',');
    const r = byId.get(cells[1]);
    assert(r && cells[0] === r.name, `row of ${cells[1]}`);
    assert(Number(cells[head.indexOf('metrics.loss')]) === r.m.loss && cells[head.indexOf('params.batch')] === r.p.batch, `values of ${r.name}`);
  }
  // The newest first, as the table.
  assert(lines[1].startsWith('bulk-09999,') && lines[10000].startsWith('bulk-00000,'), 'in the table\'s order');
  // Streamed: chunked, no Content-Length; bad input gets MLflow's error.
  const res = await fetch(`${H.srv.base}/ajax-api/2.0/mltrack/runs/export-csv?experiment_ids=${exp}`);
  assert(res.headers.get('transfer-encoding') === 'chunked' && !res.headers.get('content-length'), 'a chunked stream');
  const all = (await res.text()).split('\r\n').filter(Boolean);
  assert(all.length === 10001 && all[0].startsWith('run_id,run_name,experiment_id'), `without columns: every attribute, param, metric and tag (${all[0].slice(0, 60)})`);
  H.report.push(`Download CSV of 10,000 runs (${(bytes.length / 1e6).toFixed(1)} MB, ${head.length} columns), streamed by the server: ${ms} ms from the click to the saved file`);
  noConsoleErrors('CSV');
  await page.close();
});

test('artifact previews: CSV as a table, HTML sandboxed, PDF, audio, video', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  // A short WebM made by this browser (MediaRecorder of a canvas), logged to the run.
  const webm = await page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 64; c.height = 48;
    const ctx = c.getContext('2d');
    const rec = new MediaRecorder(c.captureStream(25), { mimeType: 'video/webm' });
    const parts = [];
    rec.ondataavailable = (e) => parts.push(e.data);
    rec.start(100);
    for (let i = 0; i < 12; i++) { ctx.fillStyle = `hsl(${i * 30},80%,50%)`; ctx.fillRect(0, 0, 64, 48); await new Promise((r) => setTimeout(r, 40)); }
    rec.stop();
    await new Promise((r) => { rec.onstop = r; });
    const buf = new Uint8Array(await new Blob(parts).arrayBuffer());
    let s = '';
    for (const b of buf) s += String.fromCharCode(b);
    return btoa(s);
  });
  await H.api.put(`${sw.exp}/${sw.model_run}/artifacts/media/clip.webm`, Buffer.from(webm, 'base64'), 'video/webm');
  await page.goto(url(`#/experiments/${sw.exp}/runs/${sw.model_run}/artifacts`));
  await page.click('.art-tree button:has-text("tables/")');
  await page.click('.art-tree >> text=sample.csv');
  await page.waitForSelector('table.csv-table');
  const csv = await page.$$eval('table.csv-table tr', (rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
  assert(JSON.stringify(csv) === JSON.stringify([['a', 'b', 'label'], ['1', '2', 'x'], ['3', '4', 'y, quoted'], ['<b>5</b>', '6', 'z']]), `CSV cells: ${JSON.stringify(csv)}`);
  assert(await page.$('table.csv-table b') === null, 'markup in a cell stays text');
  // HTML: shown, but its script does not run.
  let messages = 0;
  await page.exposeFunction('__countMessage', () => { messages++; });
  await page.evaluate(() => window.addEventListener('message', () => window.__countMessage()));
  await page.click('.art-tree >> text=report.html');
  await page.waitForSelector('iframe.art-html');
  const sandbox = await page.$eval('iframe.art-html', (f) => f.getAttribute('sandbox'));
  assert(sandbox === '', `an empty sandbox: "${sandbox}"`);
  const frame = await (await page.$('iframe.art-html')).contentFrame();
  await frame.waitForSelector('#h');
  assert((await frame.textContent('#h')) === 'Report' && (await frame.textContent('p')) === 'static part', 'the HTML is shown, its script did not run');
  await page.waitForTimeout(300);
  assert(messages === 0, 'no message from the frame');
  // PDF, audio, video.
  await page.click('.art-tree button:has-text("media/")');
  await page.click('.art-tree >> text="doc.pdf"');
  await page.waitForSelector('iframe.art-pdf');
  const pdf = await page.$eval('iframe.art-pdf', (f) => ({ src: f.src, bytes: Number(f.dataset.bytes) }));
  const pdfSize = (await H.api.get('artifacts/list', { run_id: sw.model_run, path: 'media' })).files.find((f) => f.path.endsWith('doc.pdf')).file_size;
  assert(pdf.src.startsWith('blob:') && pdf.bytes === pdfSize, `PDF in a frame: ${JSON.stringify(pdf)} of ${pdfSize}`);
  await page.click('.art-tree >> text="sound.wav"');
  await page.waitForFunction(() => { const a = document.querySelector('audio.art-audio'); return a && a.readyState >= 1; });
  const dur = await page.$eval('audio.art-audio', (a) => a.duration);
  assert(Math.abs(dur - 0.5) < 0.05, `audio of 0.5 s: ${dur}`);
  await page.click('.art-tree >> text="clip.webm"');
  await page.waitForFunction(() => { const v = document.querySelector('video.art-video'); return v && v.readyState >= 1; });
  const vw = await page.$eval('video.art-video', (v) => v.videoWidth);
  assert(vw === 64, `video 64 px wide: ${vw}`);
  await page.click('.art-tree >> text=report.html');
  await page.waitForSelector('iframe.art-html');
  await (await page.$('.artifacts')).screenshot({ path: join(SHOTS, 'previews.png') });
  // The browser reports the script it did not run in the sandbox, once per showing of the
  // frame, and sometimes only after the frame is drawn: wait for both reports (3 s at most).
  const blocked = /Blocked script execution in 'about:srcdoc'/;
  for (let t0 = Date.now(); H.consoleErrors.filter((e) => blocked.test(e)).length < 2 && Date.now() - t0 < 3000;) await page.waitForTimeout(50);
  expectConsoleErrors(blocked);
  noConsoleErrors('previews');
  await page.close();
});

test('chart export: PNG, SVG and CSV of what is drawn', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  await page.goto(url(`#/experiments/${sw.exp}/runs/${sw.children[0].id}/model-metrics?metrics=val/loss`));
  await waitChart(page, 'val/loss');
  const cell = '.chart:has(.chart-title:text-is("val/loss"))';
  const png = await download(page, () => page.click(`${cell} button:has-text("PNG")`));
  assert(png.name === 'val_loss.png' && png.bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && png.bytes.length > 2000, `PNG: ${png.name} ${png.bytes.length} bytes`);
  const svg = (await download(page, () => page.click(`${cell} button:has-text("SVG")`))).bytes.toString('utf8');
  assert(svg.startsWith('<svg') && svg.includes('<polyline') && svg.includes('>val/loss<') && (svg.match(/<text/g) || []).length > 8, 'SVG with the line, the title and the tick labels');
  const csv = (await download(page, () => page.click(`${cell} button:has-text("CSV")`))).bytes.toString('utf8').trim().split('\r\n');
  const hist = (await H.api.get('metrics/get-history', { run_id: sw.children[0].id, metric_key: 'val/loss' })).metrics.sort((a, b) => a.step - b.step);
  assert(csv[0] === 'series,run_id,step,value' && csv.length === 51, `CSV: ${csv.length} lines`);
  assert(csv.slice(1).every((l, k) => { const c = l.split(','); return c[1] === sw.children[0].id && Number(c[2]) === hist[k].step && Number(c[3]) === hist[k].value; }), 'the points as logged');
  noConsoleErrors('chart export');
  await page.close();
});

// ---- 6. comfort ----

test('dark mode follows the system setting, charts included', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  const lum = (rgb) => { const [r, g, b] = rgb.match(/\d+/g).map(Number); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(url(`#/experiments/${sw.exp}?compareRunsMode=CHART&expanded=${sw.parent}`));
  await waitChart(page, 'val/loss');
  const dark = await page.evaluate(() => {
    const c = document.querySelector('.cv-cell[data-key="val/loss"] .chart');
    return { bg: getComputedStyle(document.body).backgroundColor, card: getComputedStyle(c).backgroundColor, axis: c._chart.u.axes[0].stroke(c._chart.u, 0) };
  });
  assert(lum(dark.bg) < 60 && lum(dark.card) < 60, `dark page: ${JSON.stringify(dark)}`);
  assert(lum(dark.axis.startsWith('#') ? `${parseInt(dark.axis.slice(1, 3), 16)},${parseInt(dark.axis.slice(3, 5), 16)},${parseInt(dark.axis.slice(5, 7), 16)}` : dark.axis) > 150, `light axis text on dark: ${dark.axis}`);
  await shot(page, 'dark', false);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor !== 'rgb(18, 21, 28)');
  const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert(lum(light) > 200, `light again: ${light}`);
  noConsoleErrors('dark mode');
  await page.close();
});

test('run page: tabs like MLflow\'s (in the URL, Back works), min/max/latest per metric', async () => {
  const page = await newPage();
  const r0 = H.seed.small.runs[0].id;
  await page.goto(url(`#/experiments/${H.seed.small.exp}/runs/${r0}`));
  await page.waitForSelector('tr[data-key="loss"]');
  await page.waitForFunction(() => /\d/.test(document.querySelector('tr[data-key="loss"] td:nth-child(3)').textContent));
  const cells = await page.$$eval('tr[data-key="loss"] td', (ts) => ts.map((t) => t.textContent));
  const hist = (await H.api.get('metrics/get-history', { run_id: r0, metric_key: 'loss' })).metrics;
  const vals = hist.map((m) => m.value);
  const last = hist.reduce((a, m) => (m.step > a.step ? m : a));
  const close = (txt, v) => Math.abs(Number(txt) - v) <= 1e-5 * Math.abs(v);
  assert(close(cells[1], last.value) && close(cells[2], Math.min(...vals)) && close(cells[3], Math.max(...vals)) && cells[5] === '100', `latest/min/max/points: ${cells}`);
  await page.click('.tabs button:has-text("Model metrics")');
  await page.waitForSelector('.chart[data-ready]');
  await page.click('.tabs button:has-text("System metrics")');
  await page.waitForSelector('[data-pane="system-metrics"]:not([hidden])');
  assert((await page.evaluate(() => location.hash)).endsWith('/system-metrics'), 'tab in the URL');
  await page.goBack();
  await page.waitForSelector('[data-pane="model-metrics"]:not([hidden]) .chart[data-ready]');
  await page.goBack();
  await page.waitForSelector('[data-pane="overview"]:not([hidden]) tr[data-key="loss"]');
  // A sweep child's system metrics.
  await page.goto(url(`#/experiments/${H.seed.sweep.exp}/runs/${H.seed.sweep.children[2].id}/system-metrics`));
  await waitChart(page, 'system/cpu_utilization_percentage');
  await shot(page, 'run-system', false);
  noConsoleErrors('run tabs');
  await page.close();
});

// ---- our endpoints, and XSS in the new views ----

test('our endpoints: series, summary and CSV export answer bad input with MLflow errors', async () => {
  const get = async (path, q) => {
    const r = await fetch(`${H.srv.base}/api/2.0/mltrack/${path}?${q}`);
    const text = await r.text();
    let body = null;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: r.status, body };
  };
  const id = H.seed.small.runs[0].id;
  const bad = [
    ['metrics/series', 'metric_key=loss', 400, 'run_id'],
    ['metrics/series', `run_id=${id}`, 400, 'metric_key'],
    ['metrics/series', `run_id=${id}&metric_key=loss&smoothing=1`, 400, 'smoothing'],
    ['metrics/series', `run_id=${id}&metric_key=loss&smoothing=abc`, 400, 'smoothing'],
    ['metrics/series', `run_id=${id}&metric_key=loss&smoothing=0.5&preview=true`, 400, 'preview'],
    ['metrics/series', `run_id=${id}&metric_key=loss&buckets=0`, 400, 'buckets'],
    ['metrics/series', `run_id=bad%20id&metric_key=loss`, 400, 'run_id'],
    ['metrics/series', `${Array.from({ length: 101 }, () => `run_id=${id}`).join('&')}&metric_key=loss`, 400, 'at most 100'],
    ['metrics/series', `run_id=${'f'.repeat(32)}&metric_key=loss`, 404, 'not found'],
    ['metrics/summary', '', 400, 'run_id'],
    ['metrics/summary', `run_id=${'f'.repeat(32)}`, 404, 'not found'],
    ['runs/export-csv', `experiment_ids=${H.seed.small.exp}&columns=nope`, 400, 'nope'],
    ['runs/export-csv', `experiment_ids=${H.seed.small.exp}&columns=attributes.colour`, 400, 'colour'],
    ['runs/export-csv', `experiment_ids=${H.seed.small.exp}&filter=metrics.loss%20%3C%3C%3C%201`, 400, 'filter'],
    ['runs/export-csv', 'experiment_ids=abc', 400, 'abc'],
    ['runs/export-csv', `experiment_ids=${H.seed.small.exp}&order_by=metrics.loss%20SIDEWAYS`, 400, ''],
  ];
  for (const [path, q, status, word] of bad) {
    const r = await get(path, q);
    assert(r.status === status && r.body && typeof r.body === 'object' && r.body.error_code && r.body.message.toLowerCase().includes(word.toLowerCase()),
      `${path}?${q.slice(0, 80)}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  }
  // The contracts.
  let r = await get('metrics/series', `run_id=${id}&run_id=${H.seed.small.runs[1].id}&metric_key=loss&buckets=10`);
  assert(r.status === 200 && r.body.series.length === 2 && r.body.series.every((s) => s.points_in_range === 100 && s.values.length <= 40), 'two series');
  r = await get('metrics/summary', `run_id=${id}`);
  const loss = r.body.metrics.find((m) => m.key === 'loss');
  assert(r.status === 200 && loss.points === 100 && loss.min.value < loss.max.value && loss.latest.step === 99, `summary: ${JSON.stringify(loss)}`);
  const csv = await fetch(`${H.srv.base}/api/2.0/mltrack/runs/export-csv`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ experiment_ids: [H.seed.small.exp], filter: "params.model = 'tree'", columns: ['attributes.run_name', 'params.model', 'tags.payload'], order_by: ['attributes.run_name ASC'] }) });
  const lines = (await csv.text()).split('\r\n').filter(Boolean);
  assert(csv.headers.get('content-type').startsWith('text/csv') && lines.join('|') === `run_name,params.model,tags.payload|${XSS},tree,${XSS}|run-0,tree,|run-2,tree,`, `POST with columns: ${lines.join('|')}`);
});

test('XSS payloads stay text in the new views: chart view, group by, completion, CSV cells', async () => {
  const page = await newPage();
  const exp = H.seed.small.exp;
  await page.goto(url(`#/experiments/${exp}?compareRunsMode=CHART`));
  await waitChart(page, 'loss');
  assert((await page.$$eval('.cv-run-name', (xs) => xs.map((x) => x.textContent))).includes(XSS), 'run list shows the payload as text');
  const box = await (await page.$('.cv-cell[data-key="loss"] .u-over')).boundingBox();
  await page.mouse.move(box.x + 5, box.y + 5);
  await page.waitForSelector('.chart-tip:not([hidden])');
  await page.goto(url(`#/experiments/${exp}?groupBy=tag:payload`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row.group-row').length === 2);
  assert((await rowsOf(page)).some((r) => r.name === XSS), 'a group named by the payload');
  await page.click('input[aria-label="Filter runs"]');
  await page.keyboard.type('tags.payload = ');
  await page.waitForSelector('.ac-list:not([hidden])');
  assert((await page.$$eval('.ac-text', (xs) => xs.map((x) => x.textContent))).includes(`'${XSS}'`), 'the value offered as text');
  await page.goto(url(`#/compare-runs?runs=${enc(JSON.stringify(H.seed.small.runs.map((r) => r.id)))}&sx=param:lr&sy=metric:loss`));
  await page.waitForSelector('.scatter-list');
  const imgs = await page.evaluate(() => document.querySelectorAll('img[src="x"], img[onerror]').length);
  assert(imgs === 0, 'no element created from the payload');
  assert(H.dialogs.length === 0, `no dialog: ${H.dialogs}`);
  noConsoleErrors('xss in new views');
  await page.close();
});

test('traces: the Traces tab lists an experiment\'s traces, searches them, and a trace page shows its spans as text', async () => {
  const page = await newPage();
  const tr = H.seed.sweep.traces;
  await page.goto(url(`#/experiments/${tr.exp}`));
  await page.click('.exp-tabs a:text-is("Traces")');
  await page.waitForSelector('table.traces tbody tr');
  let ids = await page.$$eval('table.traces tbody tr', (rs) => rs.map((r) => r.dataset.traceId));
  assert(ids.join() === [tr.error, tr.ok].join(), `newest first: ${ids}`);
  const states = await page.$$eval('table.traces tbody tr .status-badge', (b) => b.map((x) => x.textContent));
  assert(states.join() === 'ERROR,OK', `statuses: ${states}`);
  const toks = await page.$$eval('table.traces tbody tr td.tokens', (c) => c.map((x) => x.textContent));
  assert(toks.join() === ',150', `the LLM's tokens on the OK trace only: ${toks}`);
  // The experiment in figures (traces/metrics): both traces, the failed one, the tokens.
  await page.waitForFunction(() => document.querySelector('.trace-figures')?.textContent);
  const figures = await page.textContent('.trace-figures');
  assert(/^2 traces · 1 failed · latency p50 [\d.]+ m?s, p90 [\d.]+ m?s · 150 tokens$/.test(figures), `figures: ${figures}`);
  await page.fill('input.trace-filter', "tags.team = 'search'");
  await page.press('input.trace-filter', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('table.traces tbody tr').length === 1);
  ids = await page.$$eval('table.traces tbody tr', (rs) => rs.map((r) => r.dataset.traceId));
  assert(ids[0] === tr.ok, 'the filter finds the tagged trace');
  assert((await page.evaluate(() => location.hash)).includes('filter='), 'the filter is in the URL');
  await page.click(`table.traces a:text-is("${tr.ok}")`);
  await page.waitForSelector('.span-row');
  const names = await page.$$eval('.span-row .span-name', (r) => r.map((x) => x.textContent.trim()));
  assert(names.length === 3 && names[0].endsWith('agent'), `the root first: ${names}`);
  assert(await page.$$eval('.span-row .wf-bar', (b) => b.every((x) => parseFloat(x.style.width) > 0)), 'every span has a bar');
  const inputs = await page.textContent('.span-detail pre.span-io');
  assert(inputs.includes('<b>bold</b>'), `inputs shown as text: ${inputs}`);
  assert(!(await page.$('.span-detail b:text-is("bold")')), 'never as markup');
  assert((await page.textContent('.trace-tokens')).includes('150 tokens'), 'the trace page shows its tokens');
  const assess = await page.textContent('table.assessments');
  assert(assess.includes('helpful') && assess.includes('<i>cites</i> sources'), `the feedback, as text: ${assess}`);
  assert(!(await page.$('table.assessments i')), 'rationale not rendered as markup');
  await page.click('.span-row:has-text("llm")');
  await page.waitForFunction(() => document.querySelector('.span-detail h2')?.textContent === 'llm');
  await shot(page, 'trace', false);
  await page.goto(url(`#/experiments/${tr.exp}/traces/${tr.error}`));
  await page.waitForSelector('.span-row');
  await page.click('.span-row:has-text("llm")');
  await page.waitForSelector('.span-event');
  assert((await page.textContent('.span-detail')).includes('model unavailable'), 'the exception is shown');
  noConsoleErrors('traces');
  await page.close();
});
