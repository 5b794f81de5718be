// mltrack's web UI: a hash router over the pages. Each page renders into the main element
// and may return a cleanup function, called when the user navigates away.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { h, clear, showError, hideError } from './dom.js';
import { experimentsPage } from './experiments.js';
import { runsPage } from './runs.js';
import { runPage } from './run.js';
import { comparePage } from './compare.js';
import { modelsPage, modelPage, versionPage } from './registry.js';
import { accessPage, userBadge } from './access.js';

const routes = [
  [/^\/?$/, () => experimentsPage],
  [/^\/experiments\/?$/, () => experimentsPage],
  [/^\/experiments\/([^/]+)$/, (m) => (root, q) => runsPage(root, decodeURIComponent(m[1]).split(','), q)],
  [/^\/runs\/([^/]+)$/, (m) => (root, q) => runPage(root, decodeURIComponent(m[1]), q)],
  [/^\/compare$/, () => comparePage],
  [/^\/access$/, () => accessPage],
  [/^\/models\/?$/, () => modelsPage],
  [/^\/models\/([^/]+)\/versions\/([^/]+)$/, (m) => (root, q) => versionPage(root, decodeURIComponent(m[1]), decodeURIComponent(m[2]), q)],
  [/^\/models\/([^/]+)$/, (m) => (root, q) => modelPage(root, decodeURIComponent(m[1]), q)],
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
  const [path, qs] = raw.split('?');
  const q = new URLSearchParams(qs || '');
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch { /* a page's cleanup must not stop navigation */ }
  }
  cleanup = null;
  hideError();
  clear(main);
  const my = ++gen;
  for (const a of nav.querySelectorAll('nav a'))
    a.classList.toggle('active', path.startsWith('/models') ? a.dataset.nav === 'models' : a.dataset.nav === 'experiments');
  const hit = routes.find(([re]) => re.test(path));
  if (!hit) {
    main.appendChild(h('p', null, 'There is no such page. ', h('a', { href: '#/' }, 'Go to the experiments.')));
    return;
  }
  const page = hit[1](path.match(hit[0]));
  try {
    const c = await page(main, q);
    if (my === gen) cleanup = c;
    else if (typeof c === 'function') c();
  } catch (e) {
    if (my === gen) showError(e);
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason && e.reason.name === 'AbortError') return e.preventDefault();
  showError(e.reason);
  e.preventDefault();
});
route();
