// Seeds a fresh mltrack through its REST API for the browser tests: a small experiment
// with a handful of rich runs (params, metric histories, tags, artifacts, an XSS payload
// in a run name), a registered model with versions, an experiment of 10,000 runs, and one
// run with 1,000,000 points of one metric (log-batch, 1,000 points a request).

const XSS = '<img src=x onerror=alert(1)>';
export { XSS };

export function client(base) {
  async function call(method, path, body) {
    const res = await fetch(`${base}/api/2.0/mlflow/${path}`, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }
  return {
    base,
    post: (p, b) => call('POST', p, b),
    get: (p, q) => call('GET', `${p}?${new URLSearchParams(q)}`),
    async put(path, data, type) {
      const res = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
        method: 'PUT', body: data, headers: { 'Content-Type': type || 'application/octet-stream' } });
      if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
    },
  };
}

async function pool(n, count, f) {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < count) await f(i++);
  }));
}

// A 2x2 PNG (red, green / blue, white).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

export async function seedSmall(c) {
  const t0 = Date.UTC(2026, 0, 5, 9, 0, 0);
  const { experiment_id: exp } = await c.post('experiments/create', { name: 'demo' });
  const runs = [];
  const models = ['tree', 'linear', 'tree', 'mlp', 'linear', 'tree'];
  for (let i = 0; i < 6; i++) {
    const name = i === 5 ? XSS : `run-${i}`;
    const { run } = await c.post('runs/create', { experiment_id: exp, run_name: name, start_time: t0 + i * 60000,
      tags: [{ key: 'mlflow.user', value: 'alice' }, { key: 'mlflow.source.name', value: 'train.py' }] });
    const id = run.info.run_id;
    runs.push({ id, name });
    const metrics = [];
    for (let s = 0; s < 100; s++) {
      metrics.push({ key: 'loss', value: (1 + i * 0.1) / (s + 1) + 0.01 * Math.sin(s), timestamp: t0 + i * 60000 + s * 1000, step: s });
      metrics.push({ key: 'accuracy', value: 0.5 + 0.4 * (1 - Math.exp(-s / (20 + i * 5))), timestamp: t0 + i * 60000 + s * 1000, step: s });
    }
    await c.post('runs/log-batch', {
      run_id: id,
      metrics,
      params: [{ key: 'lr', value: String(0.001 * (i + 1)) }, { key: 'depth', value: String(3 + (i % 3)) }, { key: 'model', value: models[i] },
        { key: 'seed', value: '42' }],
      tags: [{ key: 'team', value: i % 2 ? 'vision' : 'nlp' }, ...(i === 5 ? [{ key: 'payload', value: XSS }] : [])],
    });
    await c.post('runs/update', { run_id: id, status: 'FINISHED', end_time: t0 + i * 60000 + 100000 });
  }
  // Artifacts of run-0: text, JSON, YAML, an image, a binary, a nested folder, and a file
  // whose name carries the XSS payload.
  const r0 = runs[0].id;
  const art = `${exp}/${r0}/artifacts`;
  await c.put(`${art}/notes.txt`, 'hello from the artifact browser\n<script>alert(1)</script>\n', 'text/plain');
  await c.put(`${art}/metrics.json`, JSON.stringify({ loss: 0.1, nested: { a: [1, 2, 3] } }), 'application/json');
  await c.put(`${art}/model/MLmodel`, 'artifact_path: model\nflavors:\n  sklearn:\n    version: 1.4\n', 'text/yaml');
  await c.put(`${art}/model/conda.yaml`, 'name: env\ndependencies:\n  - python=3.11\n', 'text/yaml');
  await c.put(`${art}/plots/confusion.png`, PNG, 'image/png');
  await c.put(`${art}/weights.bin`, Buffer.from([0, 1, 2, 3, 255]), 'application/octet-stream');
  await c.put(`${art}/${encodeURIComponent('<img src=x onerror=alert(2)>.txt')}`, 'x', 'text/plain');

  // The registry: a model with two versions from run-0 and run-1; version 1 in Staging.
  await c.post('registered-models/create', { name: 'demo-model', description: 'A model for the UI tests' });
  await c.post('model-versions/create', { name: 'demo-model', source: `mlflow-artifacts:/${exp}/${r0}/artifacts/model`, run_id: r0 });
  await c.post('model-versions/create', { name: 'demo-model', source: `mlflow-artifacts:/${exp}/${runs[1].id}/artifacts/model`, run_id: runs[1].id });
  await c.post('model-versions/transition-stage', { name: 'demo-model', version: '1', stage: 'Staging', archive_existing_versions: false });
  await c.post('registered-models/alias', { name: 'demo-model', alias: 'champion', version: '1' });
  return { exp, runs };
}

// n runs with 3 params and 3 metrics each, plus tags, created 8 requests at a time.
export async function seedMany(c, n, name = 'ten-thousand') {
  const { experiment_id: exp } = await c.post('experiments/create', { name });
  const t0 = Date.UTC(2026, 1, 1);
  await pool(8, n, async (i) => {
    const { run } = await c.post('runs/create', { experiment_id: exp, run_name: `bulk-${String(i).padStart(5, '0')}`, start_time: t0 + i * 1000,
      tags: [{ key: 'mlflow.user', value: i % 3 ? 'bob' : 'carol' }] });
    await c.post('runs/log-batch', {
      run_id: run.info.run_id,
      metrics: [{ key: 'loss', value: (i % 997) / 997, timestamp: t0 + i * 1000, step: 0 },
        { key: 'score', value: i, timestamp: t0 + i * 1000, step: 0 },
        { key: 'f1', value: ((i * 7919) % 1000) / 1000, timestamp: t0 + i * 1000, step: 0 }],
      params: [{ key: 'batch', value: String(2 ** (i % 8)) }, { key: 'opt', value: i % 2 ? 'adam' : 'sgd' }, { key: 'i', value: String(i) }],
      tags: [{ key: 'shard', value: String(i % 10) }],
    });
  });
  return { exp };
}

// One run with `points` points of metric "signal" (a noisy sine with rare spikes).
export async function seedMillion(c, points = 1_000_000) {
  const { experiment_id: exp } = await c.post('experiments/create', { name: 'million' });
  const t0 = Date.UTC(2026, 2, 1);
  const { run } = await c.post('runs/create', { experiment_id: exp, run_name: 'one-million', start_time: t0 });
  const id = run.info.run_id;
  const per = 1000;
  await pool(4, Math.ceil(points / per), async (b) => {
    const metrics = [];
    for (let s = b * per; s < Math.min(points, (b + 1) * per); s++) {
      let v = Math.sin(s / 5000) + 0.1 * Math.sin(s / 7);
      if (s % 99991 === 0) v += 5; // rare spikes a downsampler must keep
      metrics.push({ key: 'signal', value: v, timestamp: t0 + s * 10, step: s });
    }
    await c.post('runs/log-batch', { run_id: id, metrics });
  });
  return { exp, runId: id };
}
