// Browser test of the UI under --app-name basic-auth: the signed-in user in the header, the
// access page for an admin and for a plain user, the server's 403, greyed-out actions.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H, test, assert, watch, noConsoleErrors, SHOTS } from './harness.mjs';

const CHROME = process.env.CHROMIUM || '/usr/bin/chromium';

test('with basic auth: the signed-in user, their access page, 403 shown as such', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mltrack-ui-auth-'));
  const ini = join(dir, 'auth.ini');
  writeFileSync(ini, `[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///${join(dir, 'auth.db')}\nadmin_username = admin\n`);
  process.env.MLFLOW_AUTH_CONFIG_PATH = ini;
  process.env.MLFLOW_AUTH_ADMIN_PASSWORD = 'ui-admin-password';
  let asrv, actx;
  try {
    asrv = await H.startServer(dir, ['--app-name', 'basic-auth']);
    const call = async (user, pw, path, body) => {
      const r = await fetch(`${asrv.base}/api/${path}`, {
        method: 'POST', body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + Buffer.from(`${user}:${pw}`).toString('base64') },
      });
      const text = await r.text();
      assert(r.ok, `${path}: ${r.status} ${text}`);
      return JSON.parse(text);
    };
    await call('admin', 'ui-admin-password', '2.0/mlflow/users/create', { username: 'viewer', password: 'viewer-password' });
    const exp = await call('admin', 'ui-admin-password', '2.0/mlflow/experiments/create', { name: 'guarded' });
    await call('admin', 'ui-admin-password', '3.0/mlflow/users/permissions/grant',
      { username: 'viewer', resource_type: 'experiment', resource_id: exp.experiment_id, permission: 'READ' });
    const run = await call('admin', 'ui-admin-password', '2.0/mlflow/runs/create', { experiment_id: exp.experiment_id, run_name: 'guarded-run' });
    // A trace in the experiment, over OTLP as a client exports it.
    const otlp = await fetch(`${asrv.base}/v1/traces`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'x-mlflow-experiment-id': exp.experiment_id,
        Authorization: 'Basic ' + Buffer.from('admin:ui-admin-password').toString('base64') },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '3f'.repeat(16), spanId: '01'.repeat(8),
        name: 'guarded-agent', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000200000000' }] }] }] }),
    });
    assert(otlp.ok, `OTLP export: ${otlp.status}`);
    // Unauthenticated, the shell answers with the Basic challenge, which is the browser's prompt.
    const bare = await fetch(`${asrv.base}/`);
    assert(bare.status === 401 && /Basic realm="mlflow"/.test(bare.headers.get('www-authenticate') || ''), 'the shell asks for credentials');
    actx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'mltrack-chromium-auth-')), {
      executablePath: CHROME, headless: true, args: ['--no-sandbox', '--disable-gpu'],
      viewport: { width: 1200, height: 1000 }, httpCredentials: { username: 'admin', password: 'ui-admin-password' },
    });
    const page = await actx.newPage();
    watch(page);
    await page.goto(`${asrv.base}/#/access`);
    await page.waitForSelector('a.user-badge:not([hidden])');
    assert((await page.textContent('a.user-badge')) === 'admin (admin)', 'the header names the admin');
    await page.waitForSelector('text=viewer');
    await page.waitForSelector('text=user_create');
    await page.screenshot({ path: join(SHOTS, 'access-admin.png'), fullPage: true });
    noConsoleErrors('access (admin)');
    await actx.close();
    actx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'mltrack-chromium-auth-')), {
      executablePath: CHROME, headless: true, args: ['--no-sandbox', '--disable-gpu'],
      viewport: { width: 1200, height: 800 }, httpCredentials: { username: 'viewer', password: 'viewer-password' },
    });
    const vp = await actx.newPage();
    watch(vp);
    await vp.goto(`${asrv.base}/#/access`);
    await vp.waitForSelector('text=Signed in as viewer.');
    assert(!(await vp.$('text=Audit log')), 'no admin sections for a plain user');
    await vp.waitForSelector(`td >> text=${exp.experiment_id}`);
    // A write the user may not make: the server's 403 reads as "Permission denied".
    const r = await vp.evaluate(async (id) => {
      const res = await fetch('ajax-api/2.0/mlflow/experiments/delete', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ experiment_id: id }) });
      return [res.status, await res.text()];
    }, exp.experiment_id);
    assert(r[0] === 403 && r[1] === 'Permission denied', `viewer cannot delete: ${r}`);
    // What the viewer may not do is greyed out: READ cannot rename, let alone delete.
    await vp.goto(`${asrv.base}/#/experiments`);
    await vp.waitForSelector('table.grid a.exp-name');
    await vp.waitForFunction(() => [...document.querySelectorAll('td.actions button')].length > 0 &&
      [...document.querySelectorAll('td.actions button')].every((b) => b.disabled));
    const titles = await vp.$$eval('td.actions button', (bs) => bs.map((b) => b.title));
    assert(titles.some((t) => /You need EDIT on this experiment \(you have READ\)/.test(t)), `titles: ${titles}`);
    // On the run page too: renaming and the description need EDIT.
    await vp.goto(`${asrv.base}/#/experiments/${exp.experiment_id}/runs/${run.run.info.run_id}`);
    await vp.waitForSelector('h1 button.needs-edit');
    await vp.waitForFunction(() => [...document.querySelectorAll('button.needs-edit')].length >= 2 &&
      [...document.querySelectorAll('button.needs-edit')].every((b) => b.disabled));
    // Traces follow their experiment: READ lists them (before, only admins could).
    await vp.goto(`${asrv.base}/#/experiments/${exp.experiment_id}/traces`);
    await vp.waitForSelector('table.traces tbody tr');
    const traceIds = await vp.$$eval('table.traces tbody tr', (rs) => rs.map((x) => x.dataset.traceId));
    assert(traceIds.join() === `tr-${'3f'.repeat(16)}`, `the viewer sees the trace: ${traceIds}`);
    H.consoleErrors.splice(0); // the refused fetch above logs a console error by design
  } finally {
    if (actx) await actx.close().catch(() => {});
    if (asrv) asrv.proc.kill();
    delete process.env.MLFLOW_AUTH_CONFIG_PATH;
    delete process.env.MLFLOW_AUTH_ADMIN_PASSWORD;
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  }
});
