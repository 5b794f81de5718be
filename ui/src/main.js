// mltrack's web UI: a hash router over the pages. Each page renders into the main element
// and may return a cleanup function, called when the user navigates away. Besides our own
// short routes, every URL shape MLflow's UI uses is accepted (#/experiments/<id>/runs/<id>,
// the links the mlflow client prints after each run; #/compare-runs?runs=[...]; models,
// versions and logged models), so links from the client, notebooks and old bookmarks work.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { h, clear, showError, hideError, pageError } from './dom.js';
import { parseList, parseJsonish } from './url.js';
import { experimentsPage } from './experiments.js';
import { runsPage } from './runs.js';
import { runPage } from './run.js';
import { comparePage } from './compare.js';
import { modelsPage, modelPage, versionPage, compareVersionsPage } from './registry.js';
import { accessPage, userBadge } from './access.js';
import { loggedModelsPage, loggedModelPage } from './models.js';
import { tracesPage, tracePage } from './traces.js';

const d = (s) => decodeURIComponent(s);
const dpath = (s) => s.split('/').map(d).join('/');

// [pattern, what the page shows (for "... does not exist"), render(root, q, match)].
const routes = [
  [/^\/?$/, 'Page', (root, q) => experimentsPage(root, q)],
  [/^\/experiments\/?$/, 'Page', (root, q) => experimentsPage(root, q)],
  // A run: MLflow's /experiments/<id>/runs/<run>[/<tab>][/artifactPath/<path>], /runs/<run>.
  [/^\/(?:experiments\/[^/]+\/(?:evaluation-)?runs|runs)\/([^/]+)\/(?:artifactPath|artifacts)\/(.+)$/, 'Run',
    (root, q, m) => runPage(root, d(m[1]), q, { tab: 'artifacts', artifactPath: dpath(m[2]) })],
  [/^\/(?:experiments\/[^/]+\/(?:evaluation-)?runs|runs)\/([^/]+)(?:\/([^/]+))?(?:\/.*)?$/, 'Run',
    (root, q, m) => runPage(root, d(m[1]), q, { tab: m[2] && d(m[2]) })],
  // Logged models of an experiment (MLflow 3).
  [/^\/experiments\/([^/]+)\/models\/([^/]+)(?:\/([^/]+))?\/?$/, 'Logged model',
    (root, q, m) => loggedModelPage(root, d(m[1]), d(m[2]), q, m[3] && d(m[3]))],
  [/^\/experiments\/([^/]+)\/models\/?$/, 'Experiment', (root, q, m) => loggedModelsPage(root, d(m[1]), q)],
  // Traces of an experiment, and one trace.
  [/^\/experiments\/([^/]+)\/traces\/([^/]+)\/?$/, 'Trace', (root, q, m) => tracePage(root, d(m[1]), d(m[2]))],
  [/^\/experiments\/([^/]+)\/traces\/?$/, 'Experiment', (root, q, m) => tracesPage(root, d(m[1]), q)],
  // An experiment's runs; MLflow's other experiment tabs (traces, datasets, ...) land here.
  [/^\/experiments\/([^/]+)(?:\/([^/]+))?(?:\/.*)?$/, 'Experiment',
    (root, q, m) => runsPage(root, d(m[1]).split(','), q, { tab: m[2] && d(m[2]) })],
  [/^\/compare-experiments(?:\/[^/]*)?$/, 'Experiment', (root, q) => runsPage(root, parseList(q.get('experiments')), q, {})],
  [/^\/(?:compare|compare-runs)\/?$/, 'Run', (root, q) => comparePage(root, q)],
  // MLflow's metric page: one metric of some runs.
  [/^\/metric(?:\/.*)?$/, 'Run', (root, q) => {
    const runs = parseList(q.get('runs'));
    const key = String(parseJsonish(q.get('metric')) ?? '');
    if (runs.length === 1) return runPage(root, runs[0], new URLSearchParams({ metrics: key }), { tab: key.startsWith('system/') ? 'system-metrics' : 'model-metrics' });
    return comparePage(root, new URLSearchParams({ runs: runs.join(','), metrics: key }));
  }],
  [/^\/access$/, 'Page', (root, q) => accessPage(root, q)],
  [/^\/models\/?$/, 'Page', (root, q) => modelsPage(root, q)],
  [/^\/models\/([^/]+)\/versions\/([^/]+)(?:\/.*)?$/, 'Model version', (root, q, m) => versionPage(root, d(m[1]), d(m[2]), q)],
  [/^\/models\/([^/]+)(?:\/[^/]+)*\/?$/, 'Registered model', (root, q, m) => modelPage(root, d(m[1]), q)],
  [/^\/compare-model-versions\/?$/, 'Registered model', (root, q) => compareVersionsPage(root, q)],
];

const nav = h('header', { class: 'top' },
  h('a', { class: 'brand', href: '#/' }, 'mltrack'),
  h('nav', null,
    h('a', { href: '#/experiments', 'data-nav': 'experiments' }, 'Experiments'),
    h('a', { href: '#/models', 'data-nav': 'models' }, 'Models')),
  userBadge());
const main = h('main', { id: 'main' });
document.body.append(nav, main);

let cleanup = null;
let gen = 0;

async function route() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const i = raw.indexOf('?');
  const path = i < 0 ? raw : raw.slice(0, i);
  const q = new URLSearchParams(i < 0 ? '' : raw.slice(i + 1));
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch { /* a page's cleanup must not stop navigation */ }
  }
  cleanup = null;
  hideError();
  clear(main);
  const my = ++gen;
  for (const a of nav.querySelectorAll('nav a'))
    a.classList.toggle('active', /^\/(models|compare-model-versions)/.test(path) ? a.dataset.nav === 'models' : a.dataset.nav === 'experiments');
  const hit = routes.find(([re]) => re.test(path));
  if (!hit) {
    main.appendChild(h('p', { class: 'no-page' }, 'There is no such page. ', h('a', { href: '#/' }, 'Go to the experiments.')));
    return;
  }
  try {
    const c = await hit[2](main, q, path.match(hit[0]));
    if (my === gen) cleanup = c;
    else if (typeof c === 'function') c();
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    // A missing run (or model, ...) says so in the page instead of a spinner forever.
    if (my === gen) pageError(main, e, hit[1]);
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason && e.reason.name === 'AbortError') return e.preventDefault();
  showError(e.reason);
  e.preventDefault();
});
// Charts draw on canvases with colours read from CSS: redraw when the theme changes.
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => route());
route();
