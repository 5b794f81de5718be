// The eleven bugs of issue 16, one test each; every test fails on the UI before the fix.
import { H, test, assert, newPage, noConsoleErrors, expectConsoleErrors, url, chartData, waitChart, ema } from './harness.mjs';

const enc = encodeURIComponent;

test('bug 1: MLflow URL shapes, and the links the mlflow client prints, open the right pages', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  const [c0, c1] = sw.children.map((c) => c.id);
  assert(sw.printedLinks.some((l) => l.kind === 'run') && sw.printedLinks.some((l) => l.kind === 'experiment'),
    `the client printed run and experiment links: ${JSON.stringify(sw.printedLinks.slice(0, 3))}`);
  for (const l of sw.printedLinks) {
    // The tracking URI's origin, then MLflow's shape; under REUSE the server has a new port.
    const link = new URL(l.url);
    assert((process.env.REUSE || link.origin === H.srv.base) && link.pathname === '/' && link.hash.startsWith('#/experiments/'), `MLflow's shape: ${l.url}`);
    await page.goto(`${H.srv.base}/${link.hash}`);
    if (l.kind === 'run') {
      const id = /\/runs\/([0-9a-f]+)/.exec(link.hash)[1];
      await page.waitForSelector('.run-name');
      const want = (await H.api.get('runs/get', { run_id: id })).run.info.run_name;
      assert((await page.textContent('.run-name')) === want, `${l.url} shows run ${want}`);
    } else {
      await page.waitForSelector('.vt-row');
      assert((await page.textContent('h1')) === 'sweep', `${l.url} shows the experiment`);
    }
  }
  const shapes = [
    [`#/experiments/${sw.exp}/runs/${c0}/model-metrics`, '.chart[data-ready]', () => page.textContent('.tabs .tab.active'), 'Model metrics'],
    [`#/experiments/${sw.exp}/runs/${c0}/system-metrics`, '.chart[data-ready]', () => page.textContent('.chart-title'), 'system/cpu_utilization_percentage'],
    [`#/experiments/${sw.exp}/runs/${sw.model_run}/artifactPath/tables/sample.csv`, 'table.csv-table', () => page.textContent('.art-head .mono'), 'tables/sample.csv'],
    [`#/experiments/${sw.exp}/runs/${c0}/artifacts`, '.art-tree li', () => page.textContent('.tabs .tab.active'), 'Artifacts'],
    [`#/runs/${c1}`, '.run-name', () => page.textContent('.run-name'), 'trial-1'],
    [`#/experiments/${sw.exp}/runs`, '.vt-row', () => page.textContent('h1'), 'sweep'],
    // MLflow's Traces tab is ours now: the experiment's traces (none in the sweep).
    [`#/experiments/${sw.exp}/traces`, '.exp-tabs .tab.active', () => page.textContent('.exp-tabs .tab.active'), 'Traces'],
    [`#/compare-runs?runs=${enc(JSON.stringify([c0, c1]))}&experiments=${enc(JSON.stringify([sw.exp]))}`, 'table.compare', () => page.$$eval('table.compare thead th a', (as) => as.map((a) => a.textContent).join()), 'trial-0,trial-1'],
    [`#/compare-experiments/s?experiments=${enc(JSON.stringify([sw.exp, H.seed.small.exp]))}`, '.vt-row', () => page.textContent('h1'), '2 experiments'],
    [`#/metric?runs=${enc(JSON.stringify([c0, c1]))}&metric=${enc('"val/loss"')}&experiments=${enc(JSON.stringify([sw.exp]))}`, '.chart[data-ready]', () => page.textContent('.chart-title'), 'val/loss'],
    [`#/metric?runs=${enc(JSON.stringify([c0]))}&metric=${enc('"train/loss"')}`, '.chart[data-ready]', () => page.textContent('.chart-title'), 'train/loss'],
    ['#/models/sweep-model', 'select.stage-select', () => page.textContent('h1'), 'sweep-model'],
    ['#/models/sweep-model/details', 'select.stage-select', () => page.textContent('h1'), 'sweep-model'],
    ['#/models/sweep-model/versions/1', 'select.stage-select', () => page.textContent('h1'), 'sweep-model · version 1'],
    [`#/experiments/${sw.exp}/models`, 'a.logged-model-link', () => page.$$eval('a.logged-model-link', (as) => String(as.length)), '2'],
    [`#/experiments/${sw.exp}/models/${sw.model_id}`, 'table.schema', () => page.textContent('h1'), 'model'],
    [`#/compare-model-versions?name="sweep-model"&runs={"1":"${c0}","2":"${c1}"}`, 'table.versions-compare', () => page.textContent('h1'), 'Comparing 2 versions of sweep-model'],
  ];
  for (const [hash, sel, read, want] of shapes) {
    await page.goto(url(hash));
    await page.waitForSelector(sel, { timeout: 10000 });
    const got = (await read()).trim();
    assert(got.startsWith(want), `${hash}: expected "${want}", got "${got}"`);
    assert(!/no such page/i.test(await page.textContent('main')), `${hash} is a page`);
  }
  noConsoleErrors('MLflow URL shapes');
  await page.close();
});

test('bug 2: axis ticks and hover values of a learning rate of 3e-4 are not "0"', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  await page.goto(url(`#/experiments/${sw.exp}/runs/${sw.children[1].id}/model-metrics`));
  await waitChart(page, 'lr');
  const ticks = await page.evaluate(() => {
    const c = [...document.querySelectorAll('.chart')].find((x) => x.querySelector('.chart-title').textContent === 'lr')._chart;
    return c.u.axes[1]._values;
  });
  const nums = ticks.map(Number);
  assert(ticks.length >= 3 && nums.every((v) => isFinite(v) && v > 1e-5 && v < 1e-3), `y ticks read as the values: ${ticks}`);
  assert(new Set(ticks).size === ticks.length, `every tick label differs: ${ticks}`);
  // Hover the middle of the chart: the box gives the value in full.
  const box = await (await page.$('.chart:has(.chart-title:text-is("lr")) .u-over')).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector('.chart-tip:not([hidden]) .tip-val');
  const v = Number(await page.textContent('.chart-tip .tip-val'));
  assert(v > 1.5e-4 && v < 3.1e-4, `hover value: ${v}`);
  noConsoleErrors('small numbers');
  await page.close();
});

test('bug 3: the run page shows the aliases of its registered versions', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  await page.goto(url(`#/experiments/${sw.exp}/runs/${sw.children[0].id}`));
  await page.waitForSelector('tr[data-version="sweep-model/1"] td.aliases .badge');
  assert((await page.textContent('tr[data-version="sweep-model/1"] td.aliases')) === '@champion', 'sweep-model v1 is @champion');
  await page.goto(url(`#/runs/${H.seed.small.runs[0].id}`));
  await page.waitForSelector('tr[data-version="demo-model/1"] td.aliases .badge');
  assert((await page.textContent('tr[data-version="demo-model/1"] td.aliases')).includes('@champion'), 'demo-model v1 is @champion');
  noConsoleErrors('aliases');
  await page.close();
});

test('bug 4: a model logged with mlflow.sklearn.log_model: its files are listed and it links to its page', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  // trial-1 has no artifacts of its own, only the logged model (MLflow 3 keeps its files
  // under the model's location, not the run's).
  const own = await H.api.get('artifacts/list', { run_id: sw.children[1].id });
  assert(!(own.files || []).length, 'the run itself has no artifacts');
  await page.goto(url(`#/experiments/${sw.exp}/runs/${sw.children[1].id}/artifacts`));
  await page.waitForSelector('.art-tree .model-root li.file');
  assert(await page.$('.no-artifacts') === null, 'not "No artifacts"');
  await page.click('.art-tree .model-root >> text=MLmodel');
  await page.waitForFunction(() => (document.querySelector('pre.art-text') || {}).textContent?.includes('sklearn'));
  assert((await page.textContent('pre.art-text')).includes(sw.model_id_2), 'the MLmodel of this run\'s model');
  // The overview links the model to its page, which shows its signature and files.
  await page.click('.tabs button:has-text("Overview")');
  await page.click(`tr[data-model="${sw.model_id_2}"] a.logged-model-link`);
  await page.waitForSelector('table.schema');
  const schema = await page.textContent('table.schema');
  assert(schema.includes('float64') && schema.includes('[-1, 2]'), `the signature: ${schema}`);
  await page.waitForSelector('.art-tree li.file');
  assert((await page.textContent('.art-tree')).includes('model.skops'), 'the model\'s files');
  assert((await page.textContent('a.source-run')) === 'trial-1', 'the source run');
  noConsoleErrors('logged model');
  await page.close();
});

test('bug 5: the compare scatter draws every run, also those sharing the largest x', async () => {
  const page = await newPage();
  const sw = H.seed.sweep;
  const ids = sw.children.map((c) => c.id);
  await page.goto(url(`#/compare-runs?runs=${enc(JSON.stringify(ids))}&sx=param:lr&sy=metric:val/acc`));
  await page.waitForSelector('.scatter canvas');
  await page.waitForFunction(() => (document.querySelector('.scatter')._points || []).length === 6);
  const painted = await page.evaluate(() => {
    const sc = document.querySelector('.scatter');
    const ctx = sc.querySelector('canvas').getContext('2d');
    return sc._points.map((p) => {
      const [r, g, b, a] = ctx.getImageData(p.cx, p.cy, 1, 1).data;
      const v = parseInt(p.color.slice(1), 16);
      const want = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
      return { run: p.run, a, close: Math.abs(r - want[0]) + Math.abs(g - want[1]) + Math.abs(b - want[2]) < 60 };
    });
  });
  const lrMax = sw.children.filter((c) => c.lr === 0.001).map((c) => c.id);
  assert(lrMax.length === 2, 'two runs share the largest lr');
  for (const p of painted) assert(p.a > 0 && p.close, `run ${p.run} is drawn in its colour at its point (${JSON.stringify(p)})`);
  noConsoleErrors('scatter');
  await page.close();
});

test('bug 6: filter, sort and view are in the URL: Back, reload and a shared link keep them', async () => {
  const page = await newPage();
  const exp = H.seed.small.exp;
  const rows = () => page.$$eval('.vt-win > .vt-row a.run-link', (as) => as.map((a) => a.textContent));
  await page.goto(url(`#/experiments/${exp}`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 6);
  await page.fill('input[aria-label="Filter runs"]', "params.model = 'tree'");
  await page.click('button:has-text("Search")');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 3);
  await page.click('.vt-th[data-col="metric:loss"]');
  await page.waitForFunction(() => document.querySelector('.vt-th[data-col="metric:loss"]').textContent.includes('▼'));
  await page.selectOption('select[aria-label="Lifecycle"]', 'ALL');
  await page.waitForFunction(() => /lifecycleFilter=All/.test(location.hash));
  const hash = await page.evaluate(() => location.hash);
  assert(/searchFilter=/.test(hash) && /orderByKey=metrics/.test(hash) && /orderByAsc=false/.test(hash), `the URL holds the view: ${hash}`);
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 3);
  const sorted = await rows();
  // Reload: the same view.
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 3);
  assert((await page.inputValue('input[aria-label="Filter runs"]')) === "params.model = 'tree'", 'filter kept on reload');
  assert((await page.inputValue('select[aria-label="Lifecycle"]')) === 'ALL', 'view kept on reload');
  assert((await page.textContent('.vt-th[data-col="metric:loss"]')).includes('▼'), 'sort kept on reload');
  assert(JSON.stringify(await rows()) === JSON.stringify(sorted), 'same rows in the same order');
  // Back, step by step.
  await page.goBack();
  await page.waitForFunction(() => !/lifecycleFilter/.test(location.hash));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 3);
  assert((await page.inputValue('select[aria-label="Lifecycle"]')) === 'ACTIVE_ONLY', 'Back undoes the view');
  assert((await page.textContent('.vt-th[data-col="metric:loss"]')).includes('▼'), 'and keeps the sort');
  await page.goBack();
  await page.waitForFunction(() => !/orderByKey/.test(location.hash));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 3);
  assert(!(await page.textContent('.vt-th[data-col="metric:loss"]')).includes('▼'), 'Back undoes the sort');
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 6);
  assert((await page.inputValue('input[aria-label="Filter runs"]')) === '', 'Back undoes the filter');
  // A shared link shows the same thing in a fresh tab.
  const other = await newPage();
  await other.goto(`${H.srv.base}/${hash}`);
  await other.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 3);
  assert(JSON.stringify(await other.$$eval('.vt-win > .vt-row a.run-link', (as) => as.map((a) => a.textContent))) === JSON.stringify(sorted), 'the shared link');
  noConsoleErrors('URL state');
  await other.close();
  await page.close();
});

test('bug 7: Enter in "Add alias" asks for the confirmation the button asks for', async () => {
  const page = await newPage();
  await page.goto(url('#/models/sweep-model'));
  await page.waitForSelector('tr[data-version="2"] select.stage-select');
  await page.click('tr[data-version="2"] >> text=Add alias');
  await page.fill('.modal input', 'enter-test');
  await page.press('.modal input', 'Enter');
  await page.waitForSelector('.modal button:has-text("Set alias")');
  const asked = await page.textContent('.modal');
  assert(asked.includes('@enter-test'), `the confirmation names the alias: ${asked}`);
  await page.waitForTimeout(300);
  const aliases = async () => ((await H.api.get('registered-models/get', { name: 'sweep-model' })).registered_model.aliases || []).map((a) => a.alias);
  assert(!(await aliases()).includes('enter-test'), `nothing set before confirming: ${await aliases()}`);
  await page.click('.modal button:has-text("Cancel")');
  await page.waitForTimeout(200);
  assert(!(await aliases()).includes('enter-test'), 'nor after cancelling');
  noConsoleErrors('alias enter');
  await page.close();
});

test('bug 8: an empty experiment says so above the fold', async () => {
  const page = await newPage();
  await page.goto(url(`#/experiments/${H.seed.empty.exp}`));
  await page.waitForSelector('.vt-empty:not([hidden])');
  const box = await (await page.$('.vt-empty')).boundingBox();
  const vh = await page.evaluate(() => window.innerHeight);
  assert(box.y >= 0 && box.y + box.height <= vh, `the message is on screen: top ${box.y}, bottom ${box.y + box.height}, window ${vh}`);
  assert(/No runs in this experiment yet/.test(await page.textContent('.vt-empty')), 'it says the experiment is empty');
  // A filter that matches nothing says that instead, in the same place.
  await page.goto(url(`#/experiments/${H.seed.small.exp}?searchFilter=${enc("params.model = 'nothing'")}`));
  await page.waitForSelector('.vt-empty:not([hidden])');
  const box2 = await (await page.$('.vt-empty')).boundingBox();
  assert(box2.y + box2.height <= vh && /No runs match/.test(await page.textContent('.vt-empty')), 'no match, on screen');
  noConsoleErrors('empty experiment');
  await page.close();
});

test('bug 9: a missing run (or model, version, experiment) says it does not exist', async () => {
  const page = await newPage();
  const cases = [
    [`#/runs/${'f'.repeat(32)}`, 'Run does not exist'],
    [`#/experiments/${H.seed.sweep.exp}/runs/${'e'.repeat(32)}`, 'Run does not exist'],
    ['#/experiments/987654', 'Experiment does not exist'],
    ['#/models/no-such-model', 'Registered model does not exist'],
    ['#/models/sweep-model/versions/99', 'Model version does not exist'],
    [`#/experiments/${H.seed.sweep.exp}/models/m-${'0'.repeat(32)}`, 'Logged model does not exist'],
  ];
  for (const [hash, want] of cases) {
    await page.goto(url(hash));
    await page.waitForSelector('.page-error', { timeout: 10000 });
    const text = await page.textContent('main');
    assert(text.includes(want), `${hash}: ${text}`);
    assert(!/Loading/.test(text), `${hash}: no spinner left`);
  }
  expectConsoleErrors(/404|Not Found/);
  noConsoleErrors('missing objects');
  await page.close();
});

test('bug 10: a filter error goes away once a later search succeeds', async () => {
  const page = await newPage();
  await page.goto(url(`#/experiments/${H.seed.small.exp}`));
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length === 6);
  await page.fill('input[aria-label="Filter runs"]', 'metrics.loss <<< 1');
  await page.press('input[aria-label="Filter runs"]', 'Enter');
  await page.waitForSelector('.banner.error:not([hidden])');
  await page.fill('input[aria-label="Filter runs"]', 'metrics.loss < 1');
  await page.press('input[aria-label="Filter runs"]', 'Escape');
  await page.press('input[aria-label="Filter runs"]', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('.vt-win > .vt-row').length > 0);
  await page.waitForFunction(() => { const b = document.querySelector('.banner'); return !b || b.hidden; }, null, { timeout: 5000 });
  expectConsoleErrors(/400|Bad Request/);
  noConsoleErrors('filter error');
  await page.close();
});

test('bug 11: smoothing is computed over the raw points: the same whatever the width or zoom', async () => {
  const page = await newPage();
  // A 100-point series: every point is drawn, so each smoothed value can be checked
  // against the moving average of the whole history.
  const r0 = H.seed.small.runs[0].id;
  const hist = (await H.api.get('metrics/get-history', { run_id: r0, metric_key: 'loss' })).metrics.sort((a, b) => a.step - b.step);
  const want = ema(hist.map((m) => m.value), 0.6);
  await page.goto(url(`#/runs/${r0}/model-metrics?smoothing=0.6&metrics=loss`));
  await waitChart(page, 'loss');
  const d = await chartData(page, 'loss');
  const smoothed = d.find((s) => !s.raw);
  assert(smoothed && smoothed.xs.length === 100, `100 smoothed points: ${smoothed && smoothed.xs.length}`);
  smoothed.xs.forEach((x, k) => {
    assert(Math.abs(smoothed.ys[k] - want[x]) <= 1e-12 * Math.abs(want[x]), `step ${x}: ${smoothed.ys[k]} vs ${want[x]}`);
  });
  // 1,000,000 points: the smoothed value at a step is the same at two widths and zoomed.
  const at = async () => {
    await waitChart(page, 'signal', 30000);
    await page.waitForFunction(() => !/Loading|Preview/.test(document.querySelector('.chart-status').textContent));
    const s = (await chartData(page, 'signal')).find((x) => !x.raw);
    return new Map(s.xs.map((x, k) => [x, s.ys[k]]));
  };
  const hash = `#/experiments/${H.seed.million.exp}/runs/${H.seed.million.runId}/model-metrics?smoothing=0.99`;
  await page.goto(url(hash));
  const wide = await at();
  await page.setViewportSize({ width: 800, height: 900 });
  await page.reload();
  const narrow = await at();
  const common = (a, b) => [...a.keys()].filter((x) => b.has(x));
  const c1 = common(wide, narrow);
  assert(c1.length > 10, `steps drawn at both widths: ${c1.length}`);
  for (const x of c1) assert(Math.abs(wide.get(x) - narrow.get(x)) <= 1e-9 * Math.abs(wide.get(x)), `step ${x}: ${wide.get(x)} vs ${narrow.get(x)}`);
  const box = await (await page.$('.chart .u-over')).boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.34, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => !document.querySelector('.chart-status').textContent.startsWith('1,000,000'));
  const zoomed = await at();
  const c2 = common(zoomed, wide);
  assert(c2.length > 3, `steps drawn both unzoomed and zoomed: ${c2.length}`);
  for (const x of c2) assert(Math.abs(zoomed.get(x) - wide.get(x)) <= 1e-9 * Math.abs(wide.get(x)), `zoomed, step ${x}: ${zoomed.get(x)} vs ${wide.get(x)}`);
  await page.setViewportSize({ width: 1400, height: 900 });
  noConsoleErrors('smoothing');
  await page.close();
});
