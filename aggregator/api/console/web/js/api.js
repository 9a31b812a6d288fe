// The aggregator's HTTP API (docs/api.md), same origin: the session is the gs_session cookie
// set at login (HttpOnly), so no token is kept in the page.
export const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, reason) {
    super(reason || `HTTP ${status}`);
    this.status = status;
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function api(path, { method = 'GET', body, query } = {}) {
  let url = BASE + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
    }
    const qs = q.toString();
    if (qs) url += `?${qs}`;
  }
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const reason = data && (data.reason || data.error || data.message);
    if (res.status === 401 && path !== '/login') onUnauthorized();
    throw new ApiError(res.status, typeof reason === 'string' ? reason : text.slice(0, 200));
  }
  return data;
}

export const login = (user, password) => api('/login', { method: 'POST', body: { user, password } });
export const logout = () => api('/logout', { method: 'POST' });
export const me = () => api('/me');
export const listCases = (query) => api('/cases', { query });
export const getCase = (id) => api(`/cases/${encodeURIComponent(id)}`);
export const act = (id, body) => api(`/cases/${encodeURIComponent(id)}/actions`, { method: 'POST', body });
export const indicators = (query) => api('/indicators', { query });
export const cells = () => api('/grid/cells');
export const cameras = () => api('/cameras');
export const catalog = () => api('/catalog');
export const mapOpen = (query) => api('/map/open', { query });

// The live feed: Server-Sent Events; EventSource reconnects by itself and sends
// Last-Event-ID, so no notification is lost across a reconnect. `onEvent(kind, data)`.
export function subscribe(onEvent, onState) {
  const es = new EventSource(`${BASE}/feed`, { withCredentials: true });
  const handle = (kind) => (e) => {
    let data = null;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    onEvent(data.kind || kind, data);
  };
  es.onmessage = handle('message');
  for (const k of ['new_case', 'transition', 'reminder', 'supervision', 'case']) {
    es.addEventListener(k, handle(k));
  }
  es.onopen = () => onState(true);
  es.onerror = () => onState(es.readyState === EventSource.OPEN);
  return es;
}
