// The browser tests' harness: the test list, assertions, pages that record console errors
// and dialogs, screenshots, downloads, and the shared state (server, seed, API client,
// the lines of measurements printed at the end). run.mjs fills H and runs the tests.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

export const here = dirname(fileURLToPath(import.meta.url));
export const SHOTS = join(here, 'screenshots');

// Filled by run.mjs: ctx (browser context), srv ({base, ...}), seed, api, startServer.
export const H = { ctx: null, srv: null, seed: null, api: null, consoleErrors: [], dialogs: [], report: [] };

export const tests = [];
export const test = (name, fn) => tests.push({ name, fn });

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export function watch(page) {
  page.on('console', (m) => {
    if (m.type() === 'error') H.consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => H.consoleErrors.push(`${page.url()}: uncaught ${e.message}`));
  page.on('dialog', (d) => {
    H.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
}

export async function newPage() {
  const page = await H.ctx.newPage();
  watch(page);
  return page;
}

export async function shot(page, name, fullPage = false) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

export function noConsoleErrors(what) {
  const errs = H.consoleErrors.splice(0);
  assert(errs.length === 0, `console errors on ${what}:\n  ${errs.join('\n  ')}`);
}

// Forgets the console errors a test provoked on purpose (a 400 the browser logs).
export function expectConsoleErrors(re) {
  H.consoleErrors = H.consoleErrors.filter((e) => !re.test(e));
}

// Runs action (which starts a download) and returns the saved file's bytes and name.
export async function download(page, action) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), action()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
}

export const url = (hash) => `${H.srv.base}/${hash}`;

// The uPlot data of the chart titled title (or the first chart): per drawn series its
// label and x/y arrays, read from the chart object the UI attaches to its element.
export function chartData(page, title) {
  return page.evaluate((t) => {
    const el = [...document.querySelectorAll('.chart')].find((c) => !t || c.querySelector('.chart-title').textContent === t);
    const c = el && el._chart;
    if (!c || !c.u) return null;
    return c.u.data.slice(1).map((d, i) => ({ label: c.meta[i].label, raw: !!c.meta[i].raw, run: c.meta[i].runId, xs: Array.from(d[0]), ys: Array.from(d[1]) }));
  }, title);
}

// Waits until the chart titled title has its exact (not preview) data drawn. The chart
// view builds a chart when it scrolls near the screen: its cell is scrolled to meanwhile.
export async function waitChart(page, title, timeout = 20000) {
  await page.waitForFunction((t) => {
    if ([...document.querySelectorAll('.chart[data-exact]')].some((c) => !t || c.querySelector('.chart-title').textContent === t)) return true;
    const key = t && t.split(' vs ')[0];
    const cells = [...document.querySelectorAll('.cv-cell')].filter((c) => c.dataset.key === key);
    if (cells.length) cells[cells.length - 1].scrollIntoView({ block: 'center' });
    return false;
  }, title, { timeout, polling: 100 });
}

// The exponential moving average with TensorBoard's debiasing, over finite values.
export function ema(values, w) {
  const out = [];
  let acc = 0, n = 0;
  for (const v of values) {
    if (!isFinite(v)) { out.push(null); continue; }
    acc = acc * w + (1 - w) * v;
    n++;
    out.push(acc / (1 - w ** n));
  }
  return out;
}
