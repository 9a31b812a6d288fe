// The console's pages. Each page renders into `view` and may return {onFeed(evt), destroy()}:
// onFeed receives the live feed's entries while the page is shown.
import * as API from './api.js';
import { t, word, STATES, SOURCES, lang, setLang } from './i18n.js';
import {
  h, fmtTime, fmtFull, fmtDuration, fmtRate, isOverdue, stateBadge, classLabel, departmentsOf,
  toast, field, select, cellLabel, cellPath, departmentName, nameOf, tzLabel, districtMidnight,
} from './ui.js';
import { drawMap, miniMap } from './map.js';
import { convert, gridSystem } from './geo.js';
import { barChart } from './charts.js';

// ---- login ---------------------------------------------------------------------------------

export async function login(view, ctx) {
  const user = h('input#user', { name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input#password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p.error', { role: 'alert' });
  const submit = h('button.primary', { type: 'submit' }, t('login.submit'));
  const form = h('form.login', {
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      submit.disabled = true;
      try {
        const res = await API.login(user.value.trim(), password.value);
        ctx.signedIn(res.user);
      } catch (err) {
        error.textContent = `${t('login.failed')}: ${err.message}`;
        password.select();
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('div.logo', h('img', { src: '/console/icon.svg', alt: '', width: 40, height: 40 }),
    h('div', h('b', 'gridsight'), h('span', t('brand.sub')))),
  h('h1', t('login.title')),
  field(t('login.user'), user), field(t('login.password'), password), submit, error,
  h('button.ghost.small.langswitch', { type: 'button', title: t('lang.title'), 'data-testid': 'login-lang',
    onclick: () => setLang(lang === 'zh' ? 'en' : 'zh') }, t('lang.switch')));
  view.append(h('div.loginpage', form));
}

// ---- case lists (queue, review) --------------------------------------------------------------

const FILTER_KEYS = ['state', 'class', 'department', 'cell', 'source', 'overdue', 'review', 'open', 'sort'];
const TERMINAL = new Set(['closed', 'evaluated', 'rejected', 'self_corrected']);

function matches(c, f) {
  if (f.state && c.state !== f.state) return false;
  if (f.class && c.class_code !== f.class) return false;
  if (f.department && !departmentsOf(c).includes(f.department)) return false;
  if (f.cell && !String(c.cell_code || '').startsWith(f.cell)) return false;
  if (f.source && c.source !== f.source) return false;
  if (f.overdue === 'true' && !isOverdue(c)) return false;
  if (f.review === 'pending' && c.state !== 'reported') return false;
  if (f.open === 'true' && TERMINAL.has(c.state)) return false;
  return true;
}

function dueCell(c) {
  if (!c.due_ms) return h('td.due', '—');
  const left = c.due_ms - Date.now();
  const od = isOverdue(c);
  return h('td.due', { class: `due${od ? ' late' : ''}`, title: fmtFull(c.due_ms) },
    fmtTime(c.due_ms), h('small', od ? ` +${fmtDuration(-left)}` : (c.state === 'dispatched' ? ` ${fmtDuration(left)}` : '')));
}

function caseRow(c, ctx, extra, lead) {
  const od = isOverdue(c);
  const deps = departmentsOf(c);
  deps.forEach((d) => ctx.departments.add(d));
  return h('tr', {
    class: od ? 'overdue' : '',
    dataset: { caseId: c.id, state: c.state },
    onclick: (e) => { if (!e.target.closest('button,a,select,input')) ctx.go(`#/case/${c.id}`); },
  },
  lead ? h('td.thumbcell', lead(c)) : null,
  h('td.id', h('a', { href: `#/case/${c.id}` }, `#${c.id}`)),
  h('td', stateBadge(c.state, od)),
  h('td.clscell', classLabel(c, ctx.catalog)),
  h('td.cellcell', cellLabel(c)),
  h('td.depcell', deps.length ? deps.map((d, i) => [i ? ', ' : '', h('span', { title: d }, departmentName(d, c, ctx.catalog))])
    : h('span.muted', '—')),
  h('td.srccell', word(c.source)),
  h('td.time', { title: fmtFull(c.reported_ms, true) }, fmtTime(c.reported_ms)),
  dueCell(c),
  extra ? h('td.rowactions', extra(c)) : null);
}

// j/k (or the arrows) move through the rows, Enter opens the case; `keys` adds the page's
// own (the review's confirm / false alarm). Not while typing in a field.
function rowKeys(tbody, ctx, keys = {}) {
  let sel = null;
  const rowsOf = () => [...tbody.querySelectorAll('tr[data-case-id]')];
  const select = (row) => {
    if (sel) sel.classList.remove('sel');
    sel = row || null;
    if (sel) {
      sel.classList.add('sel');
      sel.scrollIntoView({ block: 'nearest' });
    }
  };
  const move = (d) => {
    const rows = rowsOf();
    if (!rows.length) return;
    const i = sel && sel.isConnected ? rows.indexOf(sel) : -1;
    select(rows[Math.max(0, Math.min(rows.length - 1, i + d))]);
  };
  const onKey = (e) => {
    if (e.target.closest && e.target.closest('input,textarea,select')) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    if (k === 'j' || k === 'ArrowDown') move(1);
    else if (k === 'k' || k === 'ArrowUp') move(-1);
    else if (k === 'Enter' && sel && sel.isConnected) ctx.go(`#/case/${sel.dataset.caseId}`);
    else if (keys[k] && sel && sel.isConnected) keys[k](sel, move);
    else return;
    e.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  return {
    first() { if (!sel || !sel.isConnected) move(1); },
    selected: () => (sel && sel.isConnected ? sel : null),
    select,
    next(row) {
      // The row after `row` (before it is removed), else the one before.
      const rows = rowsOf();
      const i = rows.indexOf(row);
      return rows[i + 1] || rows[i - 1] || null;
    },
    destroy() { document.removeEventListener('keydown', onKey); },
  };
}

const REASONS = ['false_alarm', 'shadow_or_light', 'wrong_class', 'outside_zone', 'duplicate', 'not_our_matter'];

// The newest snapshot of a case, for the review's thumbnails (the summary has no evidence:
// the detail is fetched per row, lazily).
function thumb(c) {
  const box = h('div.thumb', { 'data-testid': 'thumb' }, h('span.muted', t('loading')));
  API.getCase(c.id).then((d) => {
    const reports = [...(d.reports || [])].reverse();
    const ev = reports.flatMap((r) => r.evidence || []);
    const snap = ev.find((e) => e.role === 'snapshot' && e.available);
    const clip = ev.find((e) => e.role === 'clip' && e.available && e.playable);
    box.replaceChildren(snap ? h('img', { src: snap.url, alt: t('case.snapshot'), loading: 'lazy' })
      : h('span.muted', t('review.noimage')));
    if (clip) {
      box.dataset.clip = clip.url;
      box.append(h('button.ghost.small.clipbtn', {
        type: 'button', title: 'v',
        onclick: (e) => { e.stopPropagation(); showClip(box); },
      }, `▶ ${t('review.clip')}`));
    }
  }).catch(() => box.replaceChildren(h('span.muted', '—')));
  return box;
}
function showClip(box) {
  if (!box.dataset.clip || box.querySelector('video')) return;
  const poster = box.querySelector('img')?.src;
  box.replaceChildren(h('video', { src: box.dataset.clip, poster, controls: true, autoplay: true, muted: true, playsInline: true }));
}

async function caseList(view, ctx, params, { review = false } = {}) {
  const f = {};
  for (const k of FILTER_KEYS) if (params.get(k)) f[k] = params.get(k);
  if (review) f.review = 'pending';
  const route = review ? '#/review' : '#/queue';
  const pageSize = Math.min(200, Math.max(1, Number(params.get('limit')) || 50));
  const sort = f.sort === 'deadline' ? 'deadline' : 'newest';

  const title = h('div.pagehead', h('h1', review ? t('review.title') : t('queue.title')),
    h('span.count', { 'data-testid': 'count' }),
    h('span.keys.muted', review ? t('review.keys') : t('queue.keys')),
    review ? h('p.hint', t('review.hint')) : null);
  const bar = review ? null : filterBar(f, ctx, route);
  const tbody = h('tbody');
  const reason = review ? select('reason', REASONS.map((r) => [r, t(`reason.${r}`)]), 'false_alarm', { 'data-testid': 'reason' }) : null;
  const table = h('table.cases', { 'data-testid': review ? 'review-table' : 'queue-table' },
    h('thead', h('tr', review ? h('th', t('case.snapshot')) : null,
      ['col.id', 'col.state', 'col.class', 'col.cell', 'col.department', 'col.source',
        'col.reported', 'col.due'].map((k) => h('th', { class: `h-${k.slice(4)}` }, t(k))), review ? h('th', '') : null)),
    tbody);
  const empty = h('p.empty', { hidden: true }, review ? t('review.empty') : t('queue.empty'));
  const more = h('button.ghost', { type: 'button', hidden: true, 'data-testid': 'more' }, t('queue.more'));
  view.append(...[title, bar,
    review ? h('div.reviewbar', field(t('review.reason'), reason)) : null,
    h('div.tablewrap', table, empty), h('div.morebar', more)].filter(Boolean));

  const rows = new Map();
  let next = null;
  let total = null;
  const count = () => {
    const shown = rows.size;
    title.querySelector('.count').textContent = total == null ? t('queue.count', shown) : t('queue.total', shown, total);
    empty.hidden = shown > 0;
  };
  const keys = rowKeys(tbody, ctx, review ? {
    c: (row) => row.querySelector('[data-testid="confirm"]')?.click(),
    f: (row) => row.querySelector('[data-testid="reject"]')?.click(),
    n: (row, move) => move(1),
    v: (row) => { const b = row.querySelector('.thumb'); if (b) showClip(b); },
  } : {});
  const removeRow = (id) => {
    const row = rows.get(id);
    if (!row) return;
    if (keys.selected() === row) keys.select(keys.next(row));
    row.remove();
    rows.delete(id);
    if (total != null) total = Math.max(0, total - 1);
    count();
  };
  const extra = review ? (c) => reviewButtons(c, ctx, () => reason.value, () => removeRow(c.id)) : null;
  const put = (c, top) => {
    const row = caseRow(c, ctx, extra, review ? thumb : null);
    const old = rows.get(c.id);
    if (old) {
      if (keys.selected() === old) keys.select(row);
      old.replaceWith(row);
    } else if (top) tbody.prepend(row);
    else tbody.append(row);
    rows.set(c.id, row);
    return row;
  };
  const load = async () => {
    more.disabled = true;
    try {
      const res = await API.listCases({ ...f, limit: pageSize, after: next || undefined });
      for (const c of res.items || []) put(c, false);
      next = res.next || null;
      if (res.total != null) total = res.total;
      more.hidden = !next;
      keys.first();
    } catch (err) {
      toast(`${t('error.generic')}: ${err.message}`, 'error');
    } finally {
      more.disabled = false;
      count();
    }
  };
  more.addEventListener('click', load);
  await load();

  return {
    async onFeed(evt) {
      if (!evt.case_id) return;
      let c;
      try {
        c = await API.getCase(evt.case_id);
      } catch {
        return;  // not visible to this user (any more)
      }
      if (matches(c, f)) {
        const isNew = !rows.has(c.id);
        // Newest first: a case newer than every row goes on top; an older one only updates.
        // By deadline, a new case joins at the end of what is loaded.
        const row = put(c, isNew && sort === 'newest');
        if (isNew && total != null) total += 1;
        row.classList.add('flash');
      } else if (rows.has(c.id)) {
        removeRow(c.id);
      }
      count();
    },
    destroy() { keys.destroy(); },
  };
}

function filterBar(f, ctx, route) {
  const state = select('state', [['', t('filter.any')], ...STATES.map((s) => [s, word(s)])], f.state || '');
  const classes = [...new Map([...ctx.catalog.classes.values()].map((c) => [c.code, c])).values()];
  const cls = classes.length
    ? select('class', [['', t('filter.any')], ...classes.map((c) => [c.code, `${nameOf(c)} ${c.code}`])], f.class || '')
    : h('input', { name: 'class', value: f.class || '', placeholder: '09009', size: 7 });
  const deps = [...ctx.departments].sort();
  const dept = select('department', [['', t('filter.any')], ...deps.map((d) => [d, departmentName(d, null, ctx.catalog)])], f.department || '');
  const cell = h('input', { name: 'cell', value: f.cell || '', placeholder: '110105…', size: 16 });
  const source = select('source', [['', t('filter.any')], ...SOURCES.map((s) => [s, word(s)])], f.source || '');
  const sortSel = select('sort', [['', t('sort.newest')], ['deadline', t('sort.deadline')]], f.sort === 'deadline' ? 'deadline' : '');
  const open = h('input', { type: 'checkbox', name: 'open', checked: f.open === 'true' });
  const overdue = h('input', { type: 'checkbox', name: 'overdue', checked: f.overdue === 'true' });
  const submit = () => {
    const q = new URLSearchParams();
    for (const el of [state, cls, dept, cell, source, sortSel]) if (el.value.trim()) q.set(el.name, el.value.trim());
    if (open.checked) q.set('open', 'true');
    if (overdue.checked) q.set('overdue', 'true');
    ctx.go(`${route}${q.toString() ? `?${q}` : ''}`);
  };
  for (const el of [state, cls, dept, source, sortSel, open, overdue]) el.addEventListener('change', submit);
  const form = h('form.filters', {
    onsubmit: (e) => { e.preventDefault(); submit(); },
  },
  field(t('filter.state'), state), field(t('filter.class'), cls), field(t('filter.department'), dept),
  field(t('filter.cell'), cell), field(t('filter.source'), source), field(t('queue.sort'), sortSel),
  h('label.check', open, h('span', t('ind.open'))),
  h('label.check', overdue, h('span', t('filter.overdue'))),
  h('button.primary', { type: 'submit' }, t('filter.apply')),
  h('button.ghost', { type: 'button', onclick: () => ctx.go(route) }, t('filter.clear')));
  return form;
}

function departmentList(ctx) {
  return h('datalist#dl-departments', [...ctx.departments].sort().map((d) => h('option', { value: d }, departmentName(d, null, ctx.catalog))));
}

function reviewButtons(c, ctx, reasonOf, done) {
  const run = async (body, btn) => {
    btn.disabled = true;
    try {
      await API.act(c.id, body);
      toast(t('case.done', `#${c.id}`, word(body.action)), 'ok');
      done();
    } catch (err) {
      toast(`#${c.id}: ${err.message}`, 'error');
      btn.disabled = false;
    }
  };
  if (ctx.user.role !== 'dispatcher') return null;
  const confirm = h('button.primary.small', { type: 'button', 'data-testid': 'confirm', title: 'c' }, t('review.confirm'));
  const reject = h('button.danger.small', { type: 'button', 'data-testid': 'reject', title: 'f' }, t('review.reject'));
  confirm.addEventListener('click', () => run({ action: 'file' }, confirm));
  // The reason: the label for the API's own labels, else false_alarm with the reason as note
  // (the evaluation export reads both).
  reject.addEventListener('click', () => {
    const r = reasonOf();
    const body = ['false_alarm', 'duplicate', 'not_our_matter'].includes(r)
      ? { action: 'reject', label: r } : { action: 'reject', label: 'false_alarm', note: r };
    run(body, reject);
  });
  return [confirm, reject];
}

export const queue = (view, ctx, params) => caseList(view, ctx, params);
export const review = (view, ctx, params) => caseList(view, ctx, params, { review: true });

// ---- map -----------------------------------------------------------------------------------

// XYZ tiles under the grid: the tiles meeting the view at a zoom that matches the screen,
// their corners moved from the tiles' system (GCJ-02 or WGS-84) into the grid's.
function tilesFor(m, mapCfg, system, pxWidth) {
  if (!mapCfg || !mapCfg.tile_url) return [];
  const [x0, y0, x1, y1] = m.box;  // lon/lat of the fitted grid
  const a = m.project([x0, y1]);
  const b = m.project([x1, y0]);
  const lonAt = (x) => x0 + ((x - a[0]) / (b[0] - a[0])) * (x1 - x0);
  const latAt = (y) => y1 - ((y - a[1]) / (b[1] - a[1])) * (y1 - y0);
  const vb = m.view();
  const unitsPerDeg = (b[0] - a[0]) / (x1 - x0);
  const unitsPerPx = vb[2] / Math.max(1, pxWidth);
  const z = Math.max(1, Math.min(mapCfg.max_zoom || 18, Math.round(Math.log2((360 * unitsPerDeg) / (256 * unitsPerPx)))));
  const n = 2 ** z;
  const tx = (lon) => Math.floor(((lon + 180) / 360) * n);
  const ty = (lat) => Math.floor(((1 - Math.log(Math.tan((lat * Math.PI) / 180) + 1 / Math.cos((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
  const lonOf = (x) => (x / n) * 360 - 180;
  const latOf = (y) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
  const tcrs = mapCfg.tile_crs || 'GCJ02';
  const [wl, wr, wt, wb] = [lonAt(vb[0]), lonAt(vb[0] + vb[2]), latAt(vb[1]), latAt(vb[1] + vb[3])];
  const out = [];
  for (let x = tx(wl) - 1; x <= tx(wr) + 1; x++) {
    for (let y = ty(wt) - 1; y <= ty(wb) + 1; y++) {
      if (out.length >= 80) return out;
      const nw = m.project(convert([lonOf(x), latOf(y)], tcrs, system));
      const se = m.project(convert([lonOf(x + 1), latOf(y + 1)], tcrs, system));
      out.push({ href: mapCfg.tile_url.replace('{z}', z).replace('{x}', x).replace('{y}', y), box: [nw[0], nw[1], se[0], se[1]] });
    }
  }
  return out;
}

// Every open case: the API's counts per cell at low zoom (clusters, overdue first), the
// cases one by one where few are open or when zoomed in; counts are the API's.
export async function map(view, ctx, params) {
  const side = h('aside.mapside');
  const holder = h('div.mapholder');
  view.append(h('div.pagehead', h('h1', t('map.title')), h('span.count', { 'data-testid': 'map-count' })), h('div.maplayout', holder, side));
  const [geo, cams] = await Promise.all([ctx.cellsLoaded(), API.cameras().catch(() => null)]);
  const showClosed = h('input', { type: 'checkbox', checked: params.get('closed') === '1' });
  const cellInfo = h('div.cellinfo');
  const cases = new Map();
  let agg = { open: 0, overdue: 0, cells: [] };
  const m = drawMap(holder, geo, {
    cameras: cams,
    onCase: (c) => ctx.go(`#/case/${c.id}`),
    onCell: (p) => {
      const cnt = agg.cells.filter((x) => x.code.startsWith(p.code)).reduce((n, x) => n + x.open, 0);
      cellInfo.replaceChildren(h('h3', p.name || p.code), h('p.mono', p.code),
        h('p', t('map.cases', cnt)),
        h('a', { href: `#/queue?cell=${encodeURIComponent(p.code)}&open=true&sort=deadline` }, `${t('nav.queue')} →`));
    },
  });
  const mapCfg = ctx.catalog.map;
  const system = gridSystem(geo, [], m.box);
  const FEW = 400;  // below this every open case is drawn one by one
  const ZOOMED = 3;  // from this zoom, the cases of the cells in view are drawn one by one
  const shownCells = new Set();  // base grids whose cases are loaded one by one
  const refresh = () => {
    const list = [...cases.values()].filter((c) => showClosed.checked || !TERMINAL.has(c.state));
    m.setCases(list);
    m.setClusters(agg.cells, agg.open <= FEW ? new Set(agg.cells.map((c) => c.code)) : shownCells);
    view.querySelector('.pagehead .count').textContent =
      `${t('map.cells', (geo.features || []).length)} · ${t('map.cases', agg.open)} · ${t('ind.overdue')} ${agg.overdue}`;
    const byState = {};
    for (const c of list) byState[c.state] = (byState[c.state] || 0) + 1;
    legend.querySelectorAll('[data-n]').forEach((el) => { el.textContent = byState[el.dataset.n] || ''; });
  };
  showClosed.addEventListener('change', async () => {
    if (showClosed.checked) await loadClosed();
    refresh();
  });
  const legend = h('ul.legend', STATES.map((st) => h('li', h('i.dot', { class: `dot st-${st}` }), word(st), h('b', { dataset: { n: st } }))),
    h('li', h('i.dot.st-dispatched.overdue', { class: 'dot st-dispatched overdue' }), t('case.overdue')));
  side.append(h('h3', t('map.legend')), legend, h('label.check', showClosed, h('span', t('map.show_closed'))), cellInfo,
    mapCfg && mapCfg.attribution ? h('p.muted.attrib', mapCfg.attribution) : null);
  const loadAll = async (query, cap) => {
    let after;
    for (let n = 0; n < cap; n += 200) {
      const res = await API.listCases({ ...query, limit: 200, after });
      for (const c of res.items || []) cases.set(c.id, c);
      after = res.next;
      if (!after) break;
    }
  };
  const loadClosed = () => loadAll({}, 1000);  // the newest, closed ones among them
  const loadCounts = async () => { agg = await API.mapOpen({ digits: 15 }); };
  // Zoomed in: the open cases of the grids in view (each grid once).
  let pending = null;
  const loadInView = async () => {
    if (agg.open <= FEW || m.zoom() < ZOOMED) return;
    const want = m.visibleCells(15).filter((code) => !shownCells.has(code)
      && agg.cells.some((c) => c.code === code));
    for (const code of want.slice(0, 12)) {
      shownCells.add(code);
      await loadAll({ open: 'true', cell: code }, 2000);
    }
    refresh();
  };
  const placeTiles = () => m.setTiles(tilesFor(m, mapCfg, system, holder.clientWidth || 1000));
  m.onZoom(() => {
    placeTiles();
    clearTimeout(pending);
    pending = setTimeout(() => loadInView().catch(() => {}), 250);
  });
  await loadCounts();
  if (agg.open <= FEW) await loadAll({ open: 'true' }, FEW + 200);
  if (showClosed.checked) await loadClosed();
  placeTiles();
  refresh();
  let timer = null;
  return {
    async onFeed(evt) {
      if (!evt.case_id) return;
      try {
        const c = await API.getCase(evt.case_id);
        if (agg.open <= FEW || shownCells.has(String(c.cell_code).slice(0, 15)) || cases.has(c.id)) cases.set(c.id, c);
        clearTimeout(timer);
        timer = setTimeout(async () => { await loadCounts().catch(() => {}); refresh(); }, 300);
        refresh();
      } catch { /* not visible */ }
    },
    destroy() { clearTimeout(timer); clearTimeout(pending); },
  };
}

// ---- case page -----------------------------------------------------------------------------

const NEEDS_NOTE = new Set(['return', 'rework', 'park']);
const ACTION_STYLE = { reject: 'danger', return: 'danger', rework: 'danger' };

export async function casePage(view, ctx, params, id) {
  let c = await API.getCase(id);
  let busy = false;  // an action of ours is in flight: its answer renders the case
  const render = () => {
    view.replaceChildren(caseView(c, ctx, async (body) => {
      busy = true;
      try {
        c = await API.act(c.id, body);
      } finally {
        busy = false;
      }
      toast(t('case.done', `#${c.id}`, word(body.action)), 'ok');
      render();
    }));
  };
  render();
  return {
    async onFeed(evt) {
      if (String(evt.case_id) !== String(c.id) || busy) return;
      try {
        const fresh = await API.getCase(c.id);
        if (busy) return;
        c = fresh;
        const playing = view.querySelector('video');
        if (playing && !playing.paused) return;  // do not interrupt a clip being watched
        const keep = view.querySelector('textarea')?.value;  // a note being written
        render();
        if (keep && view.querySelector('textarea')) view.querySelector('textarea').value = keep;
      } catch { /* gone */ }
    },
  };
}

// The deadline in the district's time with its zone, and the time left (or past).
function deadline(c) {
  if (!c.due_ms) return null;
  const od = isOverdue(c);
  const left = c.due_ms - Date.now();
  const open = !TERMINAL.has(c.state) && c.state !== 'parked';
  return h('span', { class: od ? 'late' : '', 'data-testid': 'deadline' }, fmtFull(c.due_ms, true),
    open ? h('b.left', ` · ${od ? t('case.overdue_by', fmtDuration(-left)) : t('case.time_left', fmtDuration(left))}`) : null);
}

function caseView(c, ctx, act) {
  const od = isOverdue(c);
  const deps = c.departments || [];
  deps.forEach((d) => ctx.departments.add(d.department));
  const camName = c.names && c.names.camera;
  const head = h('div.casehead',
    h('a.back', { href: '#/queue', onclick: (e) => { if (history.length > 1) { e.preventDefault(); history.back(); } } }, t('case.back')),
    h('h1', t('case.title', `#${c.id}`)), stateBadge(c.state, od), classLabel(c, ctx.catalog),
    h('span.path', { 'data-testid': 'cell-path' }, cellPath(c) || c.cell_code));
  const dl = (pairs) => h('dl.facts', pairs.filter(([, v]) => v !== null && v !== undefined && v !== '' && v !== '—')
    .map(([k, v]) => [h('dt', k), h('dd', v)]));
  const facts = dl([
    [t('col.class'), classLabel(c, ctx.catalog)],
    [t('case.path'), h('span', cellPath(c), ' ', h('code.muted', c.cell_code))],
    [t('case.location'), c.location && c.location.lon != null ? `${Number(c.location.lon).toFixed(5)}, ${Number(c.location.lat).toFixed(5)}` : null],
    [t('col.source'), word(c.source)],
    [t('case.camera'), c.camera_id ? h('span', camName ? h('span', camName, ' ') : null, h('code.muted', `${c.camera_id}${c.zone ? ` / ${c.zone}` : ''}`)) : null],
    [t('case.detector'), c.detector],
    [t('case.departments'), deps.length ? h('span', deps.map((d) => h('span.dep', { class: `dep${d.resolved ? ' done' : ''}`, title: d.department },
      departmentName(d.department, c, ctx.catalog), d.resolved ? ' ✓' : ''))) : null],
    [t('case.reported'), fmtFull(c.reported_ms, true)],
    [t('case.filed'), c.filed_ms ? fmtFull(c.filed_ms, true) : null],
    [t('case.dispatched'), c.dispatched_ms ? fmtFull(c.dispatched_ms, true) : null],
    [t('case.due'), deadline(c)],
    [t('case.closed'), c.closed_ms ? fmtFull(c.closed_ms, true) : null],
    [t('case.label'), c.rejection_label ? word(c.rejection_label) : null],
    [t('case.satisfaction'), c.satisfaction ? word(c.satisfaction) : null],
  ]);
  const mini = h('div.minimap', { 'data-testid': 'minimap' });
  ctx.cellsLoaded().then((geo) => API.cameras().catch(() => null).then((cams) => miniMap(mini, geo, c, cams))).catch(() => {});
  const related = h('div.related', { 'data-testid': 'related' }, h('span.muted', t('loading')));
  relatedCases(c, ctx).then((items) => related.replaceChildren(...(items.length ? items : [h('span.muted', t('case.no_related'))])));
  return h('div.casepage', head,
    h('div.casegrid',
      h('section.panel.evidence', h('h2', t('case.evidence')), evidence(c)),
      h('div.col',
        h('section.panel', h('h2', t('case.actions')), actionsPanel(c, ctx, act)),
        h('section.panel', h('h2', t('case.details')), facts),
        h('section.panel', h('h2', t('case.minimap')), mini),
        h('section.panel', h('h2', t('case.related')), related))),
    h('div.casegrid2',
      h('section.panel', h('h2', t('case.history')), timeline(c)),
      h('section.panel', h('h2', `${t('case.reports')} (${(c.reports || []).length})`), reportsTable(c))));
}

// Merged reports, the case it recurs, and other cases of the same class in the same cell.
async function relatedCases(c, ctx) {
  const out = [];
  const merged = (c.reports || []).length;
  if (merged > 1) out.push(h('p', t('case.merged', merged)));
  if (c.linked_case_id) out.push(h('p', h('a', { href: `#/case/${c.linked_case_id}` }, t('case.recurs', c.linked_case_id))));
  try {
    const res = await API.listCases({ cell: c.cell_code, class: c.class_code, limit: 6 });
    for (const o of res.items || []) {
      if (o.id === c.id || o.id === c.linked_case_id) continue;
      out.push(h('p', h('a', { href: `#/case/${o.id}` }, `#${o.id}`), ' ', stateBadge(o.state, isOverdue(o)), ' ', h('span.muted', fmtTime(o.reported_ms))));
    }
  } catch { /* the list is optional */ }
  return out;
}

function evidence(c) {
  const reports = c.reports || [];
  const items = [];
  // The newest report with evidence first; older reports' evidence follows, smaller.
  const withEv = reports.filter((r) => (r.evidence || []).length).reverse();
  withEv.slice(0, 4).forEach((r, i) => {
    const snap = r.evidence.find((e) => e.role === 'snapshot');
    const clip = r.evidence.find((e) => e.role === 'clip');
    const fig = h('figure.ev', { class: `ev${i ? ' small' : ''}` });
    const media = h('div.media');
    if (clip && clip.available && clip.playable) {
      media.append(h('video', {
        controls: true, preload: 'auto', muted: true, playsInline: true, src: clip.url,
        poster: snap && snap.available ? snap.url : null, 'data-testid': 'clip',
      }));
    } else if (snap && snap.available) {
      media.append(h('img', { src: snap.url, alt: t('case.snapshot'), 'data-testid': 'snapshot', loading: 'lazy' }));
    } else {
      media.append(h('div.pending', t('loading')));
    }
    const links = [];
    if (snap && snap.available) links.push(h('a', { href: snap.url, target: '_blank' }, t('case.snapshot')));
    if (clip && clip.available && !clip.playable) {
      links.push(h('a', { href: clip.url, download: `${r.event_id}-clip.mp4`, 'data-testid': 'clip-download' },
        t('case.download', (clip.codec || 'video').toUpperCase())));
    }
    fig.append(media, h('figcaption', h('span', fmtFull(r.at_ms, true)), h('span', (r.camera_id === c.camera_id && c.names && c.names.camera) || h('span.mono', r.camera_id || '')),
      h('span', r.detector || ''), ...links));
    items.push(fig);
  });
  return items.length ? items : h('p.muted', t('case.no_evidence'));
}

function actionsPanel(c, ctx, act) {
  const allowed = c.allowed_actions || [];
  if (!allowed.length) return h('p.muted', { 'data-testid': 'no-actions' }, t('case.no_actions'));
  const note = h('textarea', { name: 'note', rows: 2, placeholder: t('case.note'), maxLength: 2000 });
  const error = h('p.error', { role: 'alert' });
  const dept = h('input', { name: 'departments', list: 'dl-departments', placeholder: 'routed by class and cell', size: 22 });
  const label = select('label', ['false_alarm', 'not_our_matter', 'duplicate'].map((l) => [l, word(l)]), 'false_alarm');
  const amount = h('input', { name: 'amount', type: 'number', min: 1, value: 1, size: 3 });
  const unit = select('unit', [['working_hours', 'working hours'], ['working_days', 'working days']], 'working_hours');
  const sat = select('satisfaction', ['satisfied', 'basically_satisfied', 'dissatisfied'].map((v) => [v, word(v)]), 'satisfied');
  const ownDep = (c.departments || []).find((d) => !d.resolved)?.department;
  const buttons = allowed.map((a) => {
    const b = h('button', { type: 'button', class: `act ${ACTION_STYLE[a] || 'primary'}`, 'data-action': a, 'data-testid': `action-${a}` }, word(a));
    b.addEventListener('click', async () => {
      error.textContent = '';
      const body = { action: a };
      if (note.value.trim()) body.note = note.value.trim();
      else if (NEEDS_NOTE.has(a)) {
        error.textContent = `${word(a)}: ${t('case.note').toLowerCase()} required`;
        note.focus();
        return;
      }
      const list = dept.value.split(/[,，\s]+/).filter(Boolean);
      if ((a === 'dispatch' || a === 'call_in') && list.length) body.departments = list;
      if (a === 'reject') body.label = label.value;
      if (a === 'extend') body.extension = { amount: Number(amount.value), unit: unit.value };
      if (a === 'evaluate') body.satisfaction = sat.value;
      if ((a === 'resolve' || a === 'return') && ctx.user.role !== 'department' && ownDep) body.department = ownDep;
      for (const x of buttons) x.disabled = true;
      try {
        await act(body);
      } catch (err) {
        error.textContent = `${word(a)}: ${err.message}`;
        for (const x of buttons) x.disabled = false;
      }
    });
    return b;
  });
  const has = (a) => allowed.includes(a);
  return h('div.actions',
    h('div.btns', buttons),
    note,
    h('div.args',
      has('dispatch') || has('call_in') ? field(t('filter.department'), dept) : null,
      has('reject') ? field(word('reject'), label) : null,
      has('extend') ? field(t('case.extra_hours'), h('span.inline', amount, unit)) : null,
      has('evaluate') ? field(t('case.satisfaction'), sat) : null),
    departmentList(ctx),
    error);
}

function timeline(c) {
  const hist = [...(c.history || [])].reverse();
  return h('ol.timeline', { 'data-testid': 'history' }, hist.map((tr) => h('li', { dataset: { action: tr.action } },
    h('div.when', fmtFull(tr.at_ms)),
    h('div.what', h('b', word(tr.action)), tr.from !== tr.to ? h('span.muted', ` ${word(tr.from)} → ${word(tr.to)}`) : null),
    h('div.who', tr.actor),
    tr.note ? h('div.note', tr.note) : null)));
}

function reportsTable(c) {
  const reports = [...(c.reports || [])].reverse();
  return h('table.mini', h('tbody', reports.slice(0, 50).map((r) => h('tr',
    h('td.time', fmtFull(r.at_ms)), h('td', word(r.source)), h('td.mono', r.camera_id || ''),
    h('td', r.detector || ''), h('td', r.note || '')))));
}

// ---- indicators ----------------------------------------------------------------------------

const GROUPS = ['department', 'class', 'cell', 'source', 'camera', 'detector'];

// A rate as the API computed it: `text` is its exact published figure (integer arithmetic,
// the configured rounding), in percent unless the rate is configured as a plain ratio;
// `value` (0..1) is the share, for the bars.
function rate(row, name) {
  const r = (row.rates || []).find((x) => x.name === name);
  if (!r || r.defined === false || !r.denominator) return { value: null, text: '—' };
  const share = r.numerator / r.denominator;
  const percent = r.numerator === 0 || Math.abs(r.value - share * 100) < Math.abs(r.value - share);
  const text = r.text ? `${r.text}${percent ? '%' : ''}` : fmtRate(share);
  return { value: share, text, r };
}

// "closed ÷ due to close, 2 decimals, truncated"
function formula(def) {
  const n = (k) => t(`ind.${{ due_to_close: 'due', closed_on_time: 'on_time' }[k] || k}`);
  return `${t(`ind.${def.name}`) !== `ind.${def.name}` ? t(`ind.${def.name}`) : def.name} = ${n(def.numerator)} ÷ ${n(def.denominator)}${def.percent ? ' × 100%' : ''} · ${t('ind.decimals', def.decimals)} · ${t(`ind.rounding.${def.rounding}`)}`;
}

export async function indicators(view, ctx, params) {
  const group = params.get('group_by') || 'department';
  const days = params.get('days') || '30';
  const interval = params.get('interval') === 'month' ? 'month' : 'week';
  const period = select('days', [['1', 'today'], ['7', '7 days'], ['30', '30 days'], ['90', '90 days'], ['365', '365 days']], days);
  const groupSel = select('group_by', GROUPS.map((g) => [g, t(`group.${g}`)]), group);
  const intervalSel = select('interval', [['week', t('ind.week')], ['month', t('ind.month')]], interval);
  const go = () => ctx.go(`#/indicators?group_by=${groupSel.value}&days=${period.value}&interval=${intervalSel.value}`);
  period.addEventListener('change', go);
  groupSel.addEventListener('change', go);
  intervalSel.addEventListener('change', go);
  const tiles = h('div.tiles', { 'data-testid': 'tiles' });
  const formulas = h('ul.formulas', { 'data-testid': 'formulas' });
  const trend = h('section.panel.trend', { 'data-testid': 'trend' });
  const charts = h('div.charts');
  const csv = h('a.button.ghost', { 'data-testid': 'csv', download: 'indicators.csv' }, t('ind.csv'));
  view.append(h('div.pagehead', h('h1', t('ind.title')), h('span.count')),
    h('form.filters', { onsubmit: (e) => e.preventDefault() }, field(t('ind.period'), period), field(t('ind.group'), groupSel),
      field(t('ind.interval'), intervalSel),
      h('button.ghost', { type: 'button', onclick: () => load() }, t('ind.refresh')), csv),
    tiles, formulas, trend, charts);

  const query = () => {
    const to = Date.now() + 60_000;
    const from = days === '1' ? districtMidnight() : to - Number(days) * 86_400_000;
    return { from, to };
  };
  const load = async () => {
    const q = query();
    const [total, grouped, byPeriod] = await Promise.all([
      API.indicators({ ...q, group_by: 'total' }),
      API.indicators({ ...q, group_by: group }),
      API.indicators({ ...q, group_by: 'total', interval }),
    ]);
    csv.href = `${API.BASE}/indicators?${new URLSearchParams({ ...q, group_by: group, format: 'csv' })}`;
    const row = (total.rows || [])[0] || { counts: {}, rates: [] };
    const n = row.counts || {};
    const cr = rate(row, 'closure_rate');
    const ot = rate(row, 'on_time_rate');
    const tile = (key, label, value, cls = '') => h('div.tile', { class: `tile ${cls}`, 'data-testid': `ind-${key}` },
      h('span.v', value), h('span.k', label));
    tiles.replaceChildren(
      tile('open', t('ind.open'), n.open ?? 0, 'open'),
      tile('overdue', t('ind.overdue'), n.overdue ?? 0, n.overdue ? 'bad' : ''),
      tile('received', t('ind.received'), n.received ?? 0),
      tile('filed', t('ind.filed'), n.filed ?? 0),
      tile('due_to_close', t('ind.due'), n.due_to_close ?? 0),
      tile('closed', t('ind.closed'), n.closed ?? 0),
      tile('closed_on_time', t('ind.on_time'), n.closed_on_time ?? 0),
      tile('rejected', t('ind.rejected'), n.rejected ?? 0, 'muted'),
      tile('closure_rate', t('ind.closure_rate'), cr.text, 'rate'),
      tile('on_time_rate', t('ind.on_time_rate'), ot.text, 'rate'),
      tile('rework_rate', t('ind.rework_rate'), rate(row, 'rework_rate').text, 'muted small'),
      tile('false_alarm_rate', t('ind.false_alarm_rate'), rate(row, 'false_alarm_rate').text, 'muted small'),
      tile('mean_close', t('ind.mean_close'), row.mean_close_ms ? fmtDuration(row.mean_close_ms) : '—', 'muted small'));
    formulas.replaceChildren(...(total.definitions || []).map((d) => h('li', { dataset: { rate: d.name } }, formula(d))),
      h('li.muted', t('ind.as_of', fmtFull(total.as_of_ms, true))));
    view.querySelector('.pagehead .count').textContent = `${fmtTime(total.from_ms)} – ${fmtTime(total.to_ms)} (${tzLabel()})`;
    const periods = byPeriod.rows || [];
    trend.replaceChildren(barChart(periods.map((r) => ({ label: r.period, ...rate(r, 'closure_rate') })),
      { title: `${t('ind.trend')}: ${t('ind.closure_rate')} ${t('ind.by', t(`ind.${interval}`))}`, max: 1, kind: 'rate' }),
    barChart(periods.map((r) => ({ label: r.period, value: (r.counts || {}).received ?? 0 })),
      { title: `${t('ind.trend')}: ${t('ind.received')} ${t('ind.by', t(`ind.${interval}`))}`, kind: 'count' }));
    const rows = (grouped.rows || []).filter((r) => r.group !== undefined);
    charts.replaceChildren();
    if (!rows.length) {
      charts.append(h('p.empty', t('ind.none')));
      return;
    }
    const label = (r) => {
      if (r.group === '') return '(none)';
      if (group === 'department') return departmentName(r.group, null, ctx.catalog);
      if (group === 'class') return nameOf(ctx.catalog.classes.get(r.group)) || r.group;
      if (group === 'cell' && ctx.cellNames) return ctx.cellNames.get(r.group) || r.group;
      return String(r.group);
    };
    const by = t('ind.by', t(`group.${group}`));
    charts.append(
      h('section.panel', barChart(rows.map((r) => ({ label: label(r), ...rate(r, 'closure_rate') })), { title: `${t('ind.closure_rate')} ${by}`, max: 1, kind: 'rate' })),
      h('section.panel', barChart(rows.map((r) => ({ label: label(r), ...rate(r, 'on_time_rate') })), { title: `${t('ind.on_time_rate')} ${by}`, max: 1, kind: 'ontime' })),
      h('section.panel', barChart(rows.map((r) => ({ label: label(r), value: (r.counts || {}).open ?? 0 })), { title: `${t('ind.open')} ${by}`, kind: 'count' })),
      h('section.panel', barChart(rows.map((r) => ({ label: label(r), value: (r.counts || {}).received ?? 0 })), { title: `${t('ind.received')} ${by}`, kind: 'count' })),
      h('section.panel', barChart(rows.map((r) => ({ label: label(r), value: (r.counts || {}).closed ?? 0 })), { title: `${t('ind.closed')} ${by}`, kind: 'closed' })));
  };
  if (group === 'cell' && !ctx.cellNames) {
    try {
      const geo = await ctx.cellsLoaded();
      ctx.cellNames = new Map((geo.features || []).map((f) => [f.properties.code, f.properties.name]));
    } catch { /* codes then */ }
  }
  await load();
  let timer = null;
  return {
    onFeed(evt) {
      if (evt.kind !== 'transition' && evt.kind !== 'new_case') return;
      clearTimeout(timer);
      timer = setTimeout(() => load().catch(() => {}), 500);
    },
    destroy() { clearTimeout(timer); },
  };
}
