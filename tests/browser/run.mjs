// Browser tests of mltrack's UI: starts mltrack on a temporary database and seeds it: 100
// runs of 100,000 points (seed_db_series.py) and 10,000 runs (seed_db.py) written straight
// into SQLite while no server runs; then, through the server under test, six rich runs and a
// registered model via the REST API (seed.mjs), one run of 1,000,000 points, and a sweep made
// by the real mlflow client (seed_mlflow.py: nested runs, datasets, an sklearn model logged
// and registered, artifacts to preview, a running run). Then drives Debian's Chromium with
// playwright-core (no browser download). Prints one line per test, the measurements (time
// to first chart, scroll frame times, the chart view with 100 runs of 100,000 points, the
// CSV export of 10,000 runs, ...) and a final "N passed, N failed" line; exits non-zero on
// any failure. Timings are printed; loose budgets (the 1,000,000-point chart, scroll frame
// medians) are asserted, to catch a UI several times slower: this machine's cores are shared.
//
//   node tests/browser/run.mjs            (MLTRACK_BIN defaults to build/server/mltrack)
//   CHROMIUM=/usr/bin/chromium  PYTHON=.venv/bin/python  KEEP=1 (keep the temp dir)
//   ONLY=name|other (run the tests whose name contains one of them)  UPDATE_README_SCREENSHOTS=1
import { chromium } from 'playwright-core';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { client, seedSmall, seedMillion } from './seed.mjs';
import { H, tests, here, SHOTS } from './harness.mjs';
import './t_core.mjs';
import './t_bugs.mjs';
import './t_features.mjs';
import './t_auth.mjs';

const run = promisify(execFile);
const repo = resolve(here, '../..');
const BIN = process.env.MLTRACK_BIN || join(repo, 'build/server/mltrack');
const CHROME = process.env.CHROMIUM || '/usr/bin/chromium';
const PYTHON = process.env.PYTHON || join(repo, '.venv/bin/python');
const README_SHOTS = join(repo, 'ui/screenshots');
const README_NAMES = ['experiments', 'runs-10k', 'run', 'run-million', 'run-million-zoomed', 'run-artifacts', 'compare', 'model', 'access-admin',
  'sweep-tree', 'group-by', 'group-by-two', 'chart-view', 'chart-view-100', 'filter-complete', 'logged-model', 'version-compare', 'previews', 'dark'];

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

async function startServer(dir, extra = []) {
  const port = await freePort();
  const proc = spawn(BIN, ['server', '--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`,
    '--artifacts-destination', join(dir, 'artifacts'), '--host', '127.0.0.1', '--port', String(port), ...extra],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const prefix = extra.includes('--static-prefix') ? extra[extra.indexOf('--static-prefix') + 1] : '';
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${base}${prefix}/health`);
      if (r.ok) return { proc, base, port, log: () => log };
    } catch { /* not up yet */ }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error(`mltrack did not start: ${log}`);
}

// The sweep through the real mlflow client: its stdout is the ids (JSON), its stderr the
// links it prints after each run ("View run ... at: http://...").
async function seedSweep(base) {
  const { stdout, stderr } = await run(PYTHON, [join(here, 'seed_mlflow.py'), base],
    { env: { ...process.env, MLFLOW_TRACKING_URI: base }, maxBuffer: 64 * 1024 * 1024 });
  const ids = JSON.parse(stdout.trim().split('\n').pop());
  ids.printedLinks = [...`${stdout}\n${stderr}`.matchAll(/View (run|experiment)[^\n]*? at: (http\S+)/g)].map((m) => ({ kind: m[1], url: m[2] }));
  return ids;
}

async function main() {
  if (!existsSync(BIN)) throw new Error(`no mltrack binary at ${BIN} (build first, or set MLTRACK_BIN)`);
  if (!existsSync(CHROME)) throw new Error(`no Chromium at ${CHROME} (apt-get install chromium)`);
  if (!existsSync(PYTHON)) throw new Error(`no Python with the pinned mlflow at ${PYTHON} (./dev test makes .venv; or set PYTHON)`);
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  // REUSE=<dir of an earlier KEEP=1 run>: its database and seed, for quick reruns of a few
  // tests while working on them (the tests change the data, so not for a full run).
  const reuse = process.env.REUSE && existsSync(join(process.env.REUSE, 'seed.json')) ? process.env.REUSE : null;
  const dir = reuse || mkdtempSync(join(tmpdir(), 'mltrack-ui-'));
  H.startServer = startServer;
  const t = Date.now();
  if (reuse) {
    H.srv = await startServer(dir);
    H.api = client(H.srv.base);
    H.seed = JSON.parse(readFileSync(join(dir, 'seed.json'), 'utf8'));
  } else {
    await seedAll(dir, t);
  }
  await runTests(H.srv, dir);
}

async function stopServer(s) {
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await exited;
}

async function seedAll(dir, t) {
  // A first server makes the schema and the experiments the direct writers fill; it stops
  // while they write (without a journal, holding the lock), then the server under test
  // starts and the API seeding goes through it.
  const first = await startServer(dir);
  const api0 = client(first.base);
  const many = await api0.post('experiments/create', { name: 'ten-thousand' });
  const hundred = await api0.post('experiments/create', { name: 'hundred-series' });
  const empty = await api0.post('experiments/create', { name: 'empty-one' });
  await stopServer(first);
  const db = join(dir, 'mlflow.db');
  await run('python3', [join(here, 'seed_db_series.py'), db, hundred.experiment_id, '100', '100000']);
  await run('python3', [join(here, 'seed_db.py'), db, many.experiment_id, '10000']);
  H.srv = await startServer(dir);
  H.api = client(H.srv.base);
  const [small, million, sweep] = await Promise.all([seedSmall(H.api), seedMillion(H.api), seedSweep(H.srv.base)]);
  H.seed = { dir, small, million, sweep, many: { exp: many.experiment_id }, hundred: { exp: hundred.experiment_id }, empty: { exp: empty.experiment_id } };
  console.log(`seeded in ${((Date.now() - t) / 1000).toFixed(1)} s: 6 rich runs, a sweep by the mlflow client, 10,000 runs, 1,000,000 metric points, 100 runs of 100,000 points`);
  writeFileSync(join(dir, 'seed.json'), JSON.stringify(H.seed));
}

async function runTests(srv, dir) {
  let t;

  H.ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'mltrack-chromium-')), {
    executablePath: CHROME,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  let passed = 0, failed = 0;
  for (const { name, fn } of tests) {
    if (process.env.ONLY && !process.env.ONLY.split('|').some((part) => name.includes(part))) continue;
    H.consoleErrors = [];
    H.dialogs = [];
    t = Date.now();
    try {
      await fn();
      passed++;
      console.log(`ok   ${name} (${Date.now() - t} ms)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name} (${Date.now() - t} ms)\n     ${String(e.stack || e).split('\n').slice(0, 4).join('\n     ')}`);
      let k = 0;
      for (const p of H.ctx.pages()) {
        await p.screenshot({ path: join(SHOTS, `FAIL-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}-${k++}.png`), fullPage: true }).catch(() => {});
        await p.close().catch(() => {});
      }
    }
  }
  await H.ctx.close();
  srv.proc.kill();
  // A sanitized server (MLTRACK_BIN from build-asan) reports to stderr and may go on.
  const sanitizer = srv.log().split('\n').filter((l) => /runtime error|AddressSanitizer|LeakSanitizer/.test(l));
  if (sanitizer.length) {
    failed++;
    console.log(`FAIL the server reported sanitizer errors:\n     ${sanitizer.slice(0, 5).join('\n     ')}`);
  }
  for (const line of H.report) console.log(`  ${line}`);
  if (process.env.UPDATE_README_SCREENSHOTS) {
    mkdirSync(README_SHOTS, { recursive: true });
    for (const n of README_NAMES)
      if (existsSync(join(SHOTS, `${n}.png`))) copyFileSync(join(SHOTS, `${n}.png`), join(README_SHOTS, `${n}.png`));
  }
  if (!process.env.KEEP && !process.env.REUSE) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`browser tests could not run: ${e.stack || e}`);
  if (H.srv) H.srv.proc.kill();
  console.log('0 passed, 1 failed');
  process.exit(1);
});
