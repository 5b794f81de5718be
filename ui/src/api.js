// The server's REST API, as the UI uses it: MLflow's routes under ajax-api/2.0/mlflow and
// ours under ajax-api/2.0/mltrack, relative to the page so --static-prefix just works.
// Failures become Errors whose message is a plain sentence for the banner.

export const BASE = location.pathname.replace(/[^/]*$/, '');

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const PLAIN = {
  RESOURCE_DOES_NOT_EXIST: 'Not found',
  RESOURCE_ALREADY_EXISTS: 'Already exists',
  INVALID_PARAMETER_VALUE: 'Invalid request',
  BAD_REQUEST: 'Invalid request',
  PERMISSION_DENIED: 'Permission denied',
  TEMPORARILY_UNAVAILABLE: 'The server is busy; try again',
  INTERNAL_ERROR: 'The server hit an internal error',
  ENDPOINT_NOT_FOUND: 'This server does not support that request',
};

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function request(url, method, body, signal) {
  let res;
  try {
    res = await fetch(url, {
      method,
      signal,
      headers: body !== undefined ? { 'Content-Type': 'application/json' } : undefined,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      credentials: 'same-origin',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('Could not reach the mltrack server. Is it running?', 'NETWORK', 0);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = null;
  }
  if (!res.ok) {
    const code = data && data.error_code;
    // MLflow's auth answers 401/403 as plain text, not JSON.
    const what = PLAIN[code] || (res.status === 403 ? 'Permission denied'
      : res.status === 401 ? 'Not signed in' : `The server answered ${res.status}`);
    const msg = data && data.message ? `${what}: ${data.message}` : `${what}.`;
    throw new ApiError(msg, code || 'HTTP', res.status);
  }
  if (data === null) throw new ApiError('The server sent a reply the UI could not read.', 'PARSE', res.status);
  return data;
}

// GET with query parameters, or POST/PATCH/DELETE with a JSON body.
export function mlflow(method, path, params, signal) {
  const url = `${BASE}ajax-api/2.0/mlflow/${path}`;
  if (method === 'GET') return request(url + query(params), 'GET', undefined, signal);
  return request(url, method, params || {}, signal);
}

// MLflow's 3.0 API (traces).
export function mlflow3(method, path, params, signal) {
  const url = `${BASE}ajax-api/3.0/mlflow/${path}`;
  if (method === 'GET') return request(url + query(params), 'GET', undefined, signal);
  return request(url, method, params || {}, signal);
}

export function mltrack(path, params, signal) {
  return request(`${BASE}ajax-api/2.0/mltrack/${path}${query(params)}`, 'GET', undefined, signal);
}

// The auth API (--app-name basic-auth): users under 2.0/mlflow, grants and roles under
// 3.0/mlflow, tokens and the audit log under 2.0/mltrack. 404 when auth is off.
export function auth(method, path, params) {
  const v3 = /^(users\/(current\/permissions|permissions\/|roles\/)|roles\/)/.test(path);
  const url = `${BASE}ajax-api/${v3 ? '3.0' : '2.0'}/mlflow/${path}`;
  if (method === 'GET') return request(url + query(params), 'GET', undefined);
  return request(url, method, params || {});
}

export function mltrackCall(method, path, params) {
  const url = `${BASE}ajax-api/2.0/mltrack/${path}`;
  if (method === 'GET') return request(url + query(params), 'GET', undefined);
  return request(url, method, params || {});
}

export function artifactUrl(runId, path) {
  return `get-artifact${query({ path, run_uuid: runId })}`;
}

export async function fetchText(url, maxBytes) {
  const res = await fetch(BASE + url, { credentials: 'same-origin' });
  if (!res.ok) throw new ApiError(`Could not load the file (the server answered ${res.status}).`, 'HTTP', res.status);
  const buf = await res.arrayBuffer();
  const cut = buf.byteLength > maxBytes;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(cut ? buf.slice(0, maxBytes) : buf);
  return { text, cut };
}

// A file as a Blob of the given type (PDF previews), through the same error handling.
export async function fetchBlob(url, type) {
  const res = await fetch(BASE + url, { credentials: 'same-origin' });
  if (!res.ok) throw new ApiError(`Could not load the file (the server answered ${res.status}).`, 'HTTP', res.status);
  return new Blob([await res.arrayBuffer()], { type });
}

// Runs f over items with at most n in flight; results in order.
export async function pool(items, n, f) {
  const out = new Array(items.length);
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const k = i++;
      out[k] = await f(items[k], k);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

// A filter string literal: MLflow strings take single or double quotes, no escapes.
export function quote(s) {
  s = String(s);
  if (!s.includes("'")) return `'${s}'`;
  if (!s.includes('"')) return `"${s}"`;
  return `'${s.replace(/'/g, '')}'`;
}

// A backquoted identifier for filters and order_by (metrics.`my key`).
export function ident(s) {
  return '`' + String(s).replace(/`/g, '') + '`';
}
