// The artifact browser of a run (and of a logged model): a lazily expanded tree and a
// preview of the selected file. Previews never turn a file into markup of this page:
// text goes into a <pre> through textContent, CSV into table cells as text, images,
// audio and video through elements whose src is our own URL, PDF through a blob: URL in
// an iframe, and HTML into an iframe with an empty sandbox (no scripts, no same-origin,
// no forms) whose srcdoc inherits the page's Content-Security-Policy as well.
import { h, clear, empty, fmtNum } from './dom.js';
import { mlflow, artifactUrl, fetchText, fetchBlob } from './api.js';

const TEXT_EXT = /\.(txt|log|json|ya?ml|md|py|ini|cfg|toml|sh|r|sql|xml|js|ts|java|c|h|cpp|go|rs|ipynb)$/i;
const TEXT_NAMES = /^(MLmodel|MLproject|requirements\.txt|conda\.yaml|python_env\.yaml|LICENSE|README|Dockerfile|Makefile)$/;
const IMG_EXT = /\.(png|jpe?g|gif|svg|webp|bmp|ico)$/i;
const CSV_EXT = /\.(csv|tsv)$/i;
const HTML_EXT = /\.html?$/i;
const PDF_EXT = /\.pdf$/i;
const AUDIO_EXT = /\.(wav|mp3|ogg|oga|flac|m4a|aac|opus)$/i;
const VIDEO_EXT = /\.(mp4|webm|ogv|mov|m4v|mkv)$/i;
const PREVIEW_MAX = 1024 * 1024;
const PDF_MAX = 64 * 1024 * 1024;
const CSV_ROWS = 1000;
const CSV_COLS = 200;

export function fmtSize(n) {
  if (n === undefined || n === null) return '';
  n = Number(n);
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// Where files come from: a run's artifacts, or a logged model's.
export function runFiles(runId) {
  return {
    list: (path) => mlflow('GET', 'artifacts/list', { run_id: runId, path: path || undefined }).then((r) => r.files || []),
    url: (path) => artifactUrl(runId, path),
  };
}

export function modelFiles(modelId) {
  const base = `ajax-api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}/artifacts`;
  return {
    list: (path) => mlflow('GET', `logged-models/${encodeURIComponent(modelId)}/artifacts/directories`,
      { artifact_directory_path: path || undefined }).then((r) => r.files || []),
    url: (path) => `${base}/files?artifact_file_path=${encodeURIComponent(path)}`,
  };
}

// RFC 4180 CSV (or TSV) into rows of strings; stops after maxRows rows.
export function parseCsv(text, sep, maxRows) {
  const rows = [];
  let row = [], field = '', i = 0, quoted = false;
  const n = text.length;
  while (i < n && rows.length < maxRows) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += ch; i++; continue;
    }
    if (ch === '"' && field === '') { quoted = true; i++; continue; }
    if (ch === sep) { row.push(field); field = ''; i++; continue; }
    if (ch === '\r' || ch === '\n') {
      row.push(field); field = '';
      rows.push(row); row = [];
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += ch; i++;
  }
  if ((field !== '' || row.length) && rows.length < maxRows) { row.push(field); rows.push(row); }
  return rows;
}

function csvTable(text, sep, cut) {
  const rows = parseCsv(text, sep, CSV_ROWS + 1);
  if (!rows.length) return empty('Empty file.');
  const [head, ...body] = rows;
  const more = body.length > CSV_ROWS - 1 || cut;
  const cols = Math.min(CSV_COLS, Math.max(head.length, ...body.map((r) => r.length)));
  const cells = (r, tag) => Array.from({ length: cols }, (_, k) => h(tag, null, r[k] ?? ''));
  return h('div', { class: 'csv-wrap' },
    h('table', { class: 'grid csv-table' },
      h('thead', null, h('tr', null, cells(head, 'th'))),
      h('tbody', null, body.slice(0, CSV_ROWS - 1).map((r) => h('tr', null, cells(r, 'td'))))),
    h('p', { class: 'muted small-text' }, `${body.length.toLocaleString('en-US')} row${body.length === 1 ? '' : 's'} shown`,
      more ? ' (the preview stops here; download for the rest)' : ''));
}

// Renders a preview of the file at path into el. Returns a cleanup function.
export async function previewFile(el, files, f) {
  const url = files.url(f.path);
  const base = f.path.split('/').pop();
  let cleanup = null;
  const dl = h('a', { href: url, download: base, class: 'button small' }, 'Download');
  clear(el).append(h('div', { class: 'art-head' }, h('span', { class: 'mono' }, f.path), ' ',
    h('span', { class: 'muted' }, fmtSize(f.file_size)), ' ', dl));
  const body = h('div', { class: 'art-body' });
  el.appendChild(body);
  const text = async () => {
    const pre = h('pre', { class: 'art-text' }, 'Loading…');
    body.appendChild(pre);
    try {
      let { text: t, cut } = await fetchText(url, PREVIEW_MAX);
      if (/\.(json|ipynb)$/i.test(base) && !cut) {
        try { t = JSON.stringify(JSON.parse(t), null, 2); } catch { /* shown as is */ }
      }
      pre.textContent = t + (cut ? '\n… (preview cut at 1 MB; download for the rest)' : '');
    } catch (e) {
      pre.textContent = e.message;
    }
  };
  try {
    if (IMG_EXT.test(base)) {
      body.appendChild(h('img', { src: url, alt: base, class: 'art-img' }));
    } else if (CSV_EXT.test(base)) {
      const { text: t, cut } = await fetchText(url, PREVIEW_MAX);
      body.appendChild(csvTable(t, /\.tsv$/i.test(base) ? '\t' : ',', cut));
    } else if (HTML_EXT.test(base)) {
      const { text: t, cut } = await fetchText(url, PREVIEW_MAX);
      // sandbox="" : no scripts, no same-origin access, no forms, no popups, no navigation.
      const frame = h('iframe', { class: 'art-html', sandbox: '', title: `Preview of ${base}`, referrerpolicy: 'no-referrer' });
      frame.srcdoc = t;
      body.append(frame, h('p', { class: 'muted small-text' }, 'Shown in a sandbox: scripts in the file do not run.',
        cut ? ' Cut at 1 MB.' : ''));
    } else if (PDF_EXT.test(base)) {
      if (f.file_size !== undefined && f.file_size > PDF_MAX) {
        body.appendChild(empty('This PDF is too large to preview here; download it.'));
      } else {
        const blob = await fetchBlob(url, 'application/pdf');
        const obj = URL.createObjectURL(blob);
        const frame = h('iframe', { class: 'art-pdf', title: `Preview of ${base}` });
        frame.src = obj;
        frame.dataset.bytes = String(blob.size);
        body.appendChild(frame);
        cleanup = () => URL.revokeObjectURL(obj);
      }
    } else if (AUDIO_EXT.test(base)) {
      body.appendChild(h('audio', { class: 'art-audio', controls: '', preload: 'metadata', src: url }));
    } else if (VIDEO_EXT.test(base)) {
      body.appendChild(h('video', { class: 'art-video', controls: '', preload: 'metadata', src: url }));
    } else if (TEXT_EXT.test(base) || TEXT_NAMES.test(base) || (f.file_size !== undefined && f.file_size < 64 * 1024 && !/\.[a-z0-9]{1,5}$/i.test(base))) {
      await text();
    } else {
      body.appendChild(h('p', { class: 'muted' }, 'No preview for this kind of file. Use the download link.'));
    }
  } catch (e) {
    body.appendChild(h('p', { class: 'error' }, e.message));
  }
  return cleanup;
}

// roots: [{label, files, note}] (the run's own files first, then logged models); onSelect
// (rootIndex, path) tells the page, for its URL. select: {root, path} to open at once.
export function artifactBrowser(roots, onSelect, select) {
  const tree = h('ul', { class: 'art-tree' });
  const preview = h('div', { class: 'art-preview' }, h('p', { class: 'muted' }, 'Select a file to preview it.'));
  const wrap = h('div', { class: 'artifacts' }, h('div', { class: 'art-left' }, tree), preview);
  let cleanup = null;

  async function show(ri, f, btn) {
    wrap.querySelectorAll('.art-tree .sel').forEach((x) => x.classList.remove('sel'));
    if (btn) btn.classList.add('sel');
    if (cleanup) { cleanup(); cleanup = null; }
    if (onSelect) onSelect(ri, f.path);
    cleanup = await previewFile(preview, roots[ri].files, f);
  }

  async function list(ri, path, ul, open) {
    ul.appendChild(h('li', { class: 'muted' }, 'Loading…'));
    try {
      const files = (await roots[ri].files.list(path)).slice().sort((a, b) => (b.is_dir - a.is_dir) || a.path.localeCompare(b.path));
      clear(ul);
      if (!path && !files.length) {
        // A run whose only files are its logged models' lists those, not "No artifacts".
        if (ri > 0) ul.appendChild(h('li', { class: 'muted' }, 'No files.'));
        else if (roots.length === 1) ul.appendChild(h('li', { class: 'muted no-artifacts' }, 'No artifacts.'));
      }
      for (const f of files) {
        const base = f.path.split('/').pop();
        const wanted = open && (open === f.path || open.startsWith(`${f.path}/`));
        if (f.is_dir) {
          const sub = h('ul', { hidden: true });
          let loaded = false;
          const mark = h('span', { class: 'twisty' }, '▸');
          const toggle = () => {
            sub.hidden = !sub.hidden;
            li.classList.toggle('open', !sub.hidden);
            mark.textContent = sub.hidden ? '▸' : '▾';
            if (!loaded) { loaded = true; list(ri, f.path, sub, open); }
          };
          const li = h('li', { class: 'dir' }, h('button', { class: 'link', onclick: toggle }, mark, `${base}/`), sub);
          ul.appendChild(li);
          if (wanted) toggle();
        } else {
          const btn = h('button', { class: 'link', onclick: (e) => show(ri, f, e.currentTarget) }, base);
          ul.appendChild(h('li', { class: 'file' }, btn, h('span', { class: 'muted small-text' }, ` ${fmtSize(f.file_size)}`)));
          if (wanted && open === f.path) show(ri, f, btn);
        }
      }
    } catch (e) {
      clear(ul).appendChild(h('li', { class: 'error' }, e.message));
    }
  }

  roots.forEach((root, ri) => {
    const open = select && select.root === ri ? select.path : null;
    if (ri === 0) {
      const ul = h('ul', { class: 'art-root' });
      tree.appendChild(h('li', { class: 'root' }, ul));
      list(ri, '', ul, open);
      return;
    }
    // A logged model: a folder of its own at the top level, its files listed on opening.
    const sub = h('ul', { hidden: true });
    let loaded = false;
    const mark = h('span', { class: 'twisty' }, '▸');
    const toggle = () => {
      sub.hidden = !sub.hidden;
      mark.textContent = sub.hidden ? '▸' : '▾';
      if (!loaded) { loaded = true; list(ri, '', sub, open); }
    };
    tree.appendChild(h('li', { class: 'dir model-root' },
      h('button', { class: 'link', onclick: toggle }, mark, `${root.label}/`),
      root.note ? h('span', { class: 'muted small-text' }, ` ${root.note}`) : null, sub));
    if (open !== null || roots.length === 2) toggle();
  });
  return { el: wrap, destroy: () => { if (cleanup) cleanup(); } };
}

// MLmodel (YAML written by PyYAML): the few fields the UI shows. Not a YAML parser: top
// level scalars, the flavor names, and the signature's inputs/outputs/params, which are
// JSON strings (single-quoted scalars, possibly folded over several lines).
export function parseMLmodel(text) {
  const out = { flavors: [], signature: null, fields: {} };
  const lines = text.split(/\r?\n/);
  let section = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const top = /^([A-Za-z_][\w.-]*):\s*(.*)$/.exec(line);
    if (top) {
      section = top[1];
      if (top[2] !== '') out.fields[top[1]] = unquote(top[2]);
      continue;
    }
    const sub = /^ {2}([A-Za-z_][\w.-]*):\s*(.*)$/.exec(line);
    if (!sub) continue;
    if (section === 'flavors') out.flavors.push(sub[1]);
    if (section === 'signature') {
      let v = sub[2];
      // A single-quoted scalar may be folded over several lines: a line break between
      // words reads as one space, up to the closing quote ('' is an escaped quote).
      const closed = (x) => x.length > 1 && x.slice(1).replace(/''/g, '').endsWith("'");
      if (v.startsWith("'")) {
        while (!closed(v) && i + 1 < lines.length) v += ` ${lines[++i].trim()}`;
      }
      const s = unquote(v);
      out.signature = out.signature || {};
      try { out.signature[sub[1]] = s === null || s === 'null' ? null : JSON.parse(s); } catch { out.signature[sub[1]] = s; }
    }
  }
  return out;
}

function unquote(v) {
  v = v.trim();
  if (v === 'null' || v === '~') return null;
  if (v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  if (v.startsWith('"') && v.endsWith('"')) {
    try { return JSON.parse(v); } catch { return v.slice(1, -1); }
  }
  return v;
}

// A signature's columns as a table: name, type, shape / required.
export function schemaTable(spec) {
  if (!Array.isArray(spec) || !spec.length) return empty('None.');
  return h('table', { class: 'grid schema' },
    h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Type'), h('th', null, 'Shape / required'))),
    h('tbody', null, spec.map((c) => {
      const t = c.type === 'tensor' && c['tensor-spec'] ? `tensor (${c['tensor-spec'].dtype})` : String(c.type ?? '');
      const shape = c['tensor-spec'] && c['tensor-spec'].shape ? `[${c['tensor-spec'].shape.map((d) => fmtNum(d)).join(', ')}]`
        : c.required === false ? 'optional' : c.required === true ? 'required' : '';
      return h('tr', null, h('td', { class: 'mono' }, c.name ?? '—'), h('td', null, t), h('td', { class: 'mono' }, shape));
    })));
}
