// DOM helpers. Every piece of data reaches the page as a text node or a property, never
// as markup: there is no innerHTML anywhere in the UI.

const SAFE_URL = /^(#|\.|\/|static-files\/|get-artifact|model-versions\/get-artifact|ajax-api\/|https?:)/;

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'title', 'placeholder', 'type',
  'name', 'download', 'rows', 'min', 'max', 'step', 'multiple', 'hidden', 'open', 'tabIndex']);

// h('div', {class: 'x', onclick: fn}, 'text', child, [more]) builds an element.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'href' || k === 'src') {
        const s = String(v);
        // Only our own routes and API URLs (built with encodeURIComponent) are linked.
        el.setAttribute(k, SAFE_URL.test(s) ? s : '#');
      } else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (PROPS.has(k)) el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

// Appends children the way h() does: arrays flattened, null/false/undefined skipped,
// anything else as text (DOM's own append would write "null").
export function put(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function link(href, text, attrs) {
  return h('a', { href, ...attrs }, text);
}

// ---- formatting ----

export function fmtTime(ms) {
  if (ms === undefined || ms === null || ms === '') return '';
  const d = new Date(Number(ms));
  if (isNaN(d)) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function fmtDuration(ms) {
  if (ms === undefined || ms === null || isNaN(ms) || ms < 0) return '';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = s / 60;
  if (m < 60) return `${m.toFixed(1)}min`;
  const hr = m / 60;
  if (hr < 48) return `${hr.toFixed(1)}h`;
  return `${(hr / 24).toFixed(1)}d`;
}

export function fmtNum(v) {
  if (v === undefined || v === null || v === '') return '';
  const n = typeof v === 'number' ? v : Number(v);
  if (typeof v === 'string' && isNaN(n)) return v;
  if (!isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-4 || a >= 1e9)) return n.toExponential(4);
  return String(Number(n.toPrecision(6)));
}

// A tick label: enough significant digits that neighbouring ticks (incr apart) differ,
// scientific notation for very small or large magnitudes (3e-4, not "0").
export function fmtTick(v, incr) {
  if (v === null || v === undefined || !isFinite(v)) return '';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const step = incr && isFinite(incr) && incr > 0 ? incr : a;
  const sig = Math.min(15, Math.max(1, Math.ceil(Math.log10(a / step) + 1e-9) + 1));
  const r = Number(v.toPrecision(sig));
  if (a < 1e-3 || a >= 1e7) return r.toExponential().replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(r);
}

export function num(v) {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

// The value of a CSS custom property of the page (colours for canvas drawing, which CSS
// cannot reach), so charts follow the light or dark theme.
export function cssVar(name, fallback = '') {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

// Saves a Blob under name through a temporary object URL (never a data: URL in the DOM).
export function downloadBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Starts a download of one of our own URLs (relative to the page).
export function downloadUrl(url, name) {
  const a = h('a', { href: url, download: name || '' });
  document.body.appendChild(a);
  a.click();
  a.remove();
}

// Copies text to the clipboard: the async API where the page is a secure context,
// otherwise a hidden textarea and execCommand.
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back below */ }
  const ta = h('textarea', { value: text, style: { position: 'fixed', top: '-1000px', opacity: '0' } });
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

// A small button that copies text (a run ID) and says so.
export function copyButton(text, what = 'ID') {
  return h('button', {
    class: 'small copy', title: `Copy ${what}`, 'aria-label': `Copy ${what}`, dataset: { copy: text },
    onclick: async (e) => {
      e.preventDefault();
      e.stopPropagation();
      toast((await copyText(text)) ? `Copied ${what}` : 'Could not copy');
    },
  }, 'Copy');
}

// Tabs: items [{id, label}], calls onSelect(id); returns {el, select(id)}.
export function tabs(items, active, onSelect) {
  const btns = items.map((it) => h('button', {
    class: `tab${it.id === active ? ' active' : ''}`, role: 'tab', dataset: { tab: it.id },
    'aria-selected': it.id === active ? 'true' : 'false', onclick: () => onSelect(it.id),
  }, it.label));
  const el = h('div', { class: 'tabs', role: 'tablist' }, btns);
  return {
    el,
    select(id) {
      for (const b of btns) {
        const on = b.dataset.tab === id;
        b.classList.toggle('active', on);
        b.setAttribute('aria-selected', on ? 'true' : 'false');
      }
    },
  };
}

// What a page shows instead of itself when its object is missing (or failed to load):
// a sentence in the page, not a spinner that never ends.
export function pageError(root, err, what) {
  clear(root);
  const missing = err && (err.code === 'RESOURCE_DOES_NOT_EXIST' || err.status === 404);
  root.appendChild(h('div', { class: 'page-error card', role: 'alert' },
    h('h1', null, missing ? `${what} does not exist` : `Could not load this ${what.split(' ')[0].toLowerCase()}`),
    h('p', { class: 'muted' }, err && err.message ? err.message : String(err)),
    h('p', null, h('a', { href: '#/experiments' }, 'Go to the experiments'), ' · ', h('a', { href: '#/models' }, 'the models'))));
}

// ---- feedback ----

let bannerEl = null;

// Shows an error in plain words at the top of the page until dismissed.
export function showError(err) {
  const msg = err && err.message ? err.message : String(err);
  if (!bannerEl) {
    bannerEl = h('div', { class: 'banner error', role: 'alert' });
    document.body.appendChild(bannerEl);
  }
  clear(bannerEl);
  bannerEl.appendChild(h('span', { class: 'banner-text' }, msg));
  bannerEl.appendChild(h('button', { class: 'link', onclick: hideError, 'aria-label': 'Dismiss' }, '×'));
  bannerEl.hidden = false;
}

export function hideError() {
  if (bannerEl) bannerEl.hidden = true;
}

let toastTimer = 0;
export function toast(msg) {
  let t = document.querySelector('.toast');
  if (!t) {
    t = h('div', { class: 'toast', role: 'status' });
    document.body.appendChild(t);
  }
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 2500);
}

// A modal dialog; resolves with the value of the pressed button's result (or null).
// body is a node (or array of nodes); buttons: [{label, value, primary, danger}].
export function modal(title, body, buttons) {
  return new Promise((resolve) => {
    const close = (v) => {
      document.removeEventListener('keydown', onKey);
      overlay.remove();
      resolve(v);
    };
    const onKey = (e) => {
      if (e.key === 'Escape') close(null);
    };
    const btns = buttons.map((b) =>
      h('button', {
        class: b.danger ? 'danger' : b.primary ? 'primary' : '',
        onclick: () => close(typeof b.value === 'function' ? b.value() : b.value),
      }, b.label));
    const box = h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
      h('h3', null, title), h('div', { class: 'modal-body' }, body), h('div', { class: 'modal-buttons' }, btns));
    const overlay = h('div', { class: 'overlay', onclick: (e) => { if (e.target === overlay) close(null); } }, box);
    document.body.appendChild(overlay);
    document.addEventListener('keydown', onKey);
    const focus = box.querySelector('input, textarea, select') || box.querySelector('button.primary, button.danger');
    if (focus) focus.focus();
  });
}

export async function confirmAction(title, message, label = 'Confirm', danger = false) {
  const r = await modal(title, h('p', null, message), [
    { label: 'Cancel', value: false },
    { label, value: true, primary: !danger, danger },
  ]);
  return r === true;
}

export async function promptText(title, label, value = '', multiline = false) {
  const input = multiline ? h('textarea', { rows: 6, value }) : h('input', { type: 'text', value });
  if (!multiline) {
    input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      // Without preventDefault the key's own activation lands on whatever has the focus
      // next: the primary button of a confirmation that opens at once, which it confirms.
      e.preventDefault();
      e.target.closest('.modal').querySelector('button.primary').click();
    });
  }
  const r = await modal(title, h('label', { class: 'field' }, h('span', null, label), input), [
    { label: 'Cancel', value: null },
    { label: 'Save', value: () => input.value, primary: true },
  ]);
  return r;
}

// A titled section of a page.
export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', null, title), ...children);
}

// A simple key/value table (rows: [[label, valueNode|string], ...]).
export function kvTable(rows) {
  return h('table', { class: 'kv' }, h('tbody', null,
    rows.filter(Boolean).map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v)))));
}

export function table(headers, rows, attrs) {
  return h('table', { class: 'grid', ...attrs },
    h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))),
    h('tbody', null, rows));
}

export function empty(text) {
  return h('p', { class: 'muted' }, text);
}

export function spinner(text = 'Loading…') {
  return h('p', { class: 'muted loading' }, text);
}

export function debounce(fn, ms) {
  let t = 0;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}
