// Page state in the URL's hash (#/path?query), so Back, reload and a shared link show the
// same view. Pages read their state from the query they are given and write it back with
// setQuery, which changes the address without re-rendering the page: pushed (a history
// entry, for searches, sorting, views) or replaced (for column widths and the like).
// Back then changes the hash, and the router renders the page again from the older query.

export function hashParts() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const i = raw.indexOf('?');
  return { path: i < 0 ? raw : raw.slice(0, i), q: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
}

function write(path, q, push) {
  const qs = q.toString();
  const url = `#${path}${qs ? `?${qs}` : ''}`;
  if (url === location.hash || (url === '#/' && !location.hash)) return;
  history[push ? 'pushState' : 'replaceState'](history.state, '', url);
}

// Sets (or, for null/undefined/''/false, removes) query parameters of the current hash.
export function setQuery(params, push = false) {
  const { path, q } = hashParts();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '' || v === false) q.delete(k);
    else q.set(k, String(v));
  }
  write(path, q, push);
}

// Replaces the path (a run page's tab), keeping the query unless path brings its own.
export function setPath(path, push = true) {
  const i = path.indexOf('?');
  if (i >= 0) write(path.slice(0, i), new URLSearchParams(path.slice(i + 1)), push);
  else write(path, hashParts().q, push);
}

// A list parameter: MLflow writes JSON arrays (runs=["a","b"]), we write a,b.
export function parseList(v) {
  if (!v) return [];
  const s = v.trim();
  if (s.startsWith('[')) {
    try {
      const j = JSON.parse(s);
      if (Array.isArray(j)) return j.filter((x) => x !== null && x !== undefined).map(String);
    } catch { /* not JSON after all */ }
  }
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

// A JSON-valued parameter (MLflow's metric="loss", name="model"), or the raw text.
export function parseJsonish(v) {
  if (v === null || v === undefined) return null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
