// The console's pages. Each page renders into `view` and may return {onFeed(evt), destroy()}:
// onFeed receives the live feed's entries while the page is shown.
import * as API from './api.js';
import { t, word, STATES, SOURCES } from './i18n.js';
import {
  h, fmtTime, fmtFull, fmtDuration, fmtRate, isOverdue, stateBadge, classLabel, departmentsOf,
  toast, field, select,
} from './ui.js';
import { drawMap } from './map.js';
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
  field(t('login.user'), user), field(t('login.password'), password), submit, error);
  view.append(h('div.loginpage', form));
}

// ---- case lists (queue, review) --------------------------------------------------------------

const FILTER_KEYS = ['state', 'class', 'department', 'cell', 'source', 'overdue', 'review'];

function matches(c, f) {
  if (f.state && c.state !== f.state) return false;
  if (f.class && c.class_code !== f.class) return false;
  if (f.department && !departmentsOf(c).includes(f.department)) return false;
  if (f.cell && !String(c.cell_code || '').startsWith(f.cell)) return false;
  if (f.source && c.source !== f.source) return false;
  if (f.overdue === 'true' && !isOverdue(c)) return false;
  if (f.review === 'pending' && c.state !== 'reported') return false;
  return true;
}

function dueCell(c) {
  if (!c.due_ms) return h('td.due', '—');
  const left = c.due_ms - Date.now();
  const od = isOverdue(c);
  return h('td.due', { class: `due${od ? ' late' : ''}`, title: fmtFull(c.due_ms) },
    fmtTime(c.due_ms), h('small', od ? ` +${fmtDuration(-left)}` : (c.state === 'dispatched' ? ` ${fmtDuration(left)}` : '')));
}

function caseRow(c, ctx, extra) {
  const od = isOverdue(c);
  const deps = departmentsOf(c);
  deps.forEach((d) => ctx.departments.add(d));
  return h('tr', {
    class: od ? 'overdue' : '',
    dataset: { caseId: c.id, state: c.state },
    onclick: (e) => { if (!e.target.closest('button,a,select,input')) ctx.go(`#/case/${c.id}`); },
  },
  h('td.id', h('a', { href: `#/case/${c.id}` }, `#${c.id}`)),
  h('td', stateBadge(c.state, od)),
  h('td', classLabel(c)),
  h('td.mono', c.cell_code || '—'),
  h('td', deps.length ? deps.join(', ') : h('span.muted', '—')),
  h('td', word(c.source)),
  h('td.time', { title: fmtFull(c.reported_ms) }, fmtTime(c.reported_ms)),
  dueCell(c),
  extra ? h('td.rowactions', extra(c)) : null);
}

async function caseList(view, ctx, params, { review = false } = {}) {
  const f = {};
  for (const k of FILTER_KEYS) if (params.get(k)) f[k] = params.get(k);
  if (review) f.review = 'pending';
  const route = review ? '#/review' : '#/queue';
  const pageSize = Math.min(200, Math.max(1, Number(params.get('limit')) || 50));

  const title = h('div.pagehead', h('h1', review ? t('review.title') : t('queue.title')),
    review ? h('p.hint', t('review.hint')) : null, h('span.count'));
  const bar = review ? null : filterBar(f, ctx, route);
  const tbody = h('tbody');
  const table = h('table.cases', { 'data-testid': review ? 'review-table' : 'queue-table' },
    h('thead', h('tr', ['col.id', 'col.state', 'col.class', 'col.cell', 'col.department', 'col.source',
      'col.reported', 'col.due'].map((k) => h('th', t(k))), review ? h('th', '') : null)),
    tbody);
  const empty = h('p.empty', { hidden: true }, review ? t('review.empty') : t('queue.empty'));
  const more = h('button.ghost', { type: 'button', hidden: true, 'data-testid': 'more' }, t('queue.more'));
  view.append(...[title, bar, h('div.tablewrap', table, empty), h('div.morebar', more)].filter(Boolean));

  const rows = new Map();
  let next = null;
  const count = () => {
    title.querySelector('.count').textContent = t('queue.count', rows.size);
    empty.hidden = rows.size > 0;
  };
  const extra = review ? (c) => reviewButtons(c, ctx, () => { rows.get(c.id)?.remove(); rows.delete(c.id); count(); }) : null;
  const put = (c, top) => {
    const row = caseRow(c, ctx, extra);
    const old = rows.get(c.id);
    if (old) old.replaceWith(row);
    else if (top) tbody.prepend(row);
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
      more.hidden = !next;
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
        const row = put(c, isNew);
        row.classList.add('flash');
      } else if (rows.has(c.id)) {
        rows.get(c.id).remove();
        rows.delete(c.id);
      }
      count();
    },
  };
}

function filterBar(f, ctx, route) {
  const state = select('state', [['', t('filter.any')], ...STATES.map((s) => [s, word(s)])], f.state || '');
  const cls = h('input', { name: 'class', value: f.class || '', placeholder: '09009', size: 7 });
  const dept = h('input', { name: 'department', value: f.department || '', list: 'dl-departments', size: 16 });
  const cell = h('input', { name: 'cell', value: f.cell || '', placeholder: '110105…', size: 16 });
  const source = select('source', [['', t('filter.any')], ...SOURCES.map((s) => [s, word(s)])], f.source || '');
  const overdue = h('input', { type: 'checkbox', name: 'overdue', checked: f.overdue === 'true' });
  const form = h('form.filters', {
    onsubmit: (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      for (const el of [state, cls, dept, cell, source]) if (el.value.trim()) q.set(el.name, el.value.trim());
      if (overdue.checked) q.set('overdue', 'true');
      ctx.go(`${route}${q.toString() ? `?${q}` : ''}`);
    },
  },
  field(t('filter.state'), state), field(t('filter.class'), cls), field(t('filter.department'), dept),
  field(t('filter.cell'), cell), field(t('filter.source'), source),
  h('label.check', overdue, h('span', t('filter.overdue'))),
  h('button.primary', { type: 'submit' }, t('filter.apply')),
  h('button.ghost', { type: 'button', onclick: () => ctx.go(route) }, t('filter.clear')),
  departmentList(ctx));
  return form;
}

function departmentList(ctx) {
  return h('datalist#dl-departments', [...ctx.departments].sort().map((d) => h('option', { value: d })));
}

function reviewButtons(c, ctx, done) {
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
  const confirm = h('button.primary.small', { type: 'button', 'data-testid': 'confirm' }, t('review.confirm'));
  const reject = h('button.danger.small', { type: 'button', 'data-testid': 'reject' }, t('review.reject'));
  confirm.addEventListener('click', () => run({ action: 'file' }, confirm));
  reject.addEventListener('click', () => run({ action: 'reject', label: 'false_alarm' }, reject));
  return [confirm, reject];
}

export const queue = (view, ctx, params) => caseList(view, ctx, params);
export const review = (view, ctx, params) => caseList(view, ctx, params, { review: true });

// ---- map -----------------------------------------------------------------------------------

export async function map(view, ctx, params) {
  const side = h('aside.mapside');
  const holder = h('div.mapholder');
  view.append(h('div.pagehead', h('h1', t('map.title')), h('span.count')), h('div.maplayout', holder, side));
  const [geo, cams] = await Promise.all([
    ctx.cells ? ctx.cells : API.cells().then((g) => (ctx.cells = g)),
    API.cameras().catch(() => null),
  ]);
  const showClosed = h('input', { type: 'checkbox', checked: params.get('closed') === '1' });
  const cellInfo = h('div.cellinfo');
  const cases = new Map();
  const m = drawMap(holder, geo, {
    cameras: cams,
    onCase: (c) => ctx.go(`#/case/${c.id}`),
    onCell: (p) => {
      const open = [...cases.values()].filter((c) => String(c.cell_code).startsWith(p.code));
      cellInfo.replaceChildren(h('h3', p.name || p.code), h('p.mono', p.code),
        h('p', t('map.cases', open.length)),
        h('a', { href: `#/queue?cell=${encodeURIComponent(p.code)}` }, `${t('nav.queue')} →`));
    },
  });
  const terminal = new Set(['closed', 'evaluated', 'rejected', 'self_corrected']);
  const refresh = () => {
    const list = [...cases.values()].filter((c) => showClosed.checked || !terminal.has(c.state));
    m.setCases(list);
    view.querySelector('.pagehead .count').textContent =
      `${t('map.cells', (geo.features || []).length)} · ${t('map.cases', list.filter((c) => !terminal.has(c.state)).length)}`;
    const byState = {};
    for (const c of list) byState[c.state] = (byState[c.state] || 0) + 1;
    legend.querySelectorAll('[data-n]').forEach((el) => { el.textContent = byState[el.dataset.n] || ''; });
  };
  showClosed.addEventListener('change', refresh);
  const legend = h('ul.legend', STATES.map((s) => h('li', h('i.dot', { class: `dot st-${s}` }), word(s), h('b', { dataset: { n: s } }))),
    h('li', h('i.dot.st-dispatched.overdue', { class: 'dot st-dispatched overdue' }), t('case.overdue').toLowerCase()));
  side.append(h('h3', t('map.legend')), legend, h('label.check', showClosed, h('span', t('map.show_closed'))), cellInfo);
  // The newest cases (a few pages): what a centre watches is recent and open.
  let after;
  for (let i = 0; i < 5; i++) {
    const res = await API.listCases({ limit: 200, after });
    for (const c of res.items || []) cases.set(c.id, c);
    after = res.next;
    if (!after) break;
  }
  refresh();
  return {
    async onFeed(evt) {
      if (!evt.case_id) return;
      try {
        const c = await API.getCase(evt.case_id);
        cases.set(c.id, c);
        refresh();
      } catch { /* not visible */ }
    },
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

function caseView(c, ctx, act) {
  const od = isOverdue(c);
  const deps = c.departments || [];
  deps.forEach((d) => ctx.departments.add(d.department));
  const head = h('div.casehead',
    h('a.back', { href: '#/queue', onclick: (e) => { if (history.length > 1) { e.preventDefault(); history.back(); } } }, t('case.back')),
    h('h1', t('case.title', `#${c.id}`)), stateBadge(c.state, od), classLabel(c),
    h('span.mono.muted', c.cell_code));
  const dl = (pairs) => h('dl.facts', pairs.filter(([, v]) => v !== null && v !== undefined && v !== '' && v !== '—')
    .map(([k, v]) => [h('dt', k), h('dd', v)]));
  const facts = dl([
    [t('col.class'), classLabel(c)],
    [t('col.cell'), h('span.mono', c.cell_code)],
    [t('case.location'), c.location && c.location.lon != null ? `${Number(c.location.lon).toFixed(5)}, ${Number(c.location.lat).toFixed(5)}` : null],
    [t('col.source'), word(c.source)],
    [t('case.camera'), c.camera_id ? `${c.camera_id}${c.zone ? ` / ${c.zone}` : ''}` : null],
    [t('case.detector'), c.detector],
    [t('case.departments'), deps.length ? h('span', deps.map((d) => h('span.dep', { class: `dep${d.resolved ? ' done' : ''}` }, d.department, d.resolved ? ' ✓' : ''))) : null],
    [t('case.reported'), fmtFull(c.reported_ms)],
    [t('case.filed'), c.filed_ms ? fmtFull(c.filed_ms) : null],
    [t('case.dispatched'), c.dispatched_ms ? fmtFull(c.dispatched_ms) : null],
    [t('case.due'), c.due_ms ? h('span', { class: od ? 'late' : '' }, fmtFull(c.due_ms), od ? ` (${t('case.overdue')})` : '') : null],
    [t('case.closed'), c.closed_ms ? fmtFull(c.closed_ms) : null],
    [t('case.label'), c.rejection_label ? word(c.rejection_label) : null],
    [t('case.satisfaction'), c.satisfaction ? word(c.satisfaction) : null],
    ['#', c.linked_case_id ? h('a', { href: `#/case/${c.linked_case_id}` }, `recurs #${c.linked_case_id}`) : null],
  ]);
  return h('div.casepage', head,
    h('div.casegrid',
      h('section.panel.evidence', h('h2', t('case.evidence')), evidence(c)),
      h('div.col',
        h('section.panel', h('h2', t('case.actions')), actionsPanel(c, ctx, act)),
        h('section.panel', h('h2', t('case.details')), facts))),
    h('div.casegrid2',
      h('section.panel', h('h2', t('case.history')), timeline(c)),
      h('section.panel', h('h2', `${t('case.reports')} (${(c.reports || []).length})`), reportsTable(c))));
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
    fig.append(media, h('figcaption', h('span', fmtFull(r.at_ms)), h('span.mono', r.camera_id || ''),
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

export async function indicators(view, ctx, params) {
  const group = params.get('group_by') || 'department';
  const days = params.get('days') || '30';
  const period = select('days', [['1', 'today'], ['7', '7 days'], ['30', '30 days'], ['90', '90 days'], ['365', '365 days']], days);
  const groupSel = select('group_by', GROUPS.map((g) => [g, t(`group.${g}`)]), group);
  const go = () => ctx.go(`#/indicators?group_by=${groupSel.value}&days=${period.value}`);
  period.addEventListener('change', go);
  groupSel.addEventListener('change', go);
  const tiles = h('div.tiles', { 'data-testid': 'tiles' });
  const charts = h('div.charts');
  view.append(h('div.pagehead', h('h1', t('ind.title')), h('span.count')),
    h('form.filters', { onsubmit: (e) => e.preventDefault() }, field(t('ind.period'), period), field(t('ind.group'), groupSel),
      h('button.ghost', { type: 'button', onclick: () => load() }, t('ind.refresh'))),
    tiles, charts);

  const query = () => {
    const to = Date.now() + 60_000;
    let from;
    if (days === '1') {
      const d = new Date();
      d.setHours(0, 0, 0, 0);
      from = d.getTime();
    } else {
      from = to - Number(days) * 86_400_000;
    }
    return { from, to };
  };
  const load = async () => {
    const q = query();
    const [total, grouped] = await Promise.all([
      API.indicators({ ...q, group_by: 'total' }),
      API.indicators({ ...q, group_by: group }),
    ]);
    const row = (total.rows || [])[0] || { counts: {}, rates: [] };
    const n = row.counts || {};
    const cr = rate(row, 'closure_rate');
    const ot = rate(row, 'on_time_rate');
    const tile = (key, label, value, cls = '') => h('div.tile', { class: `tile ${cls}`, 'data-testid': `ind-${key}` },
      h('span.v', value), h('span.k', label));
    tiles.replaceChildren(
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
    view.querySelector('.pagehead .count').textContent = `${fmtTime(total.from_ms)} – ${fmtTime(total.to_ms)}`;
    const rows = (grouped.rows || []).filter((r) => r.group !== undefined);
    charts.replaceChildren();
    if (!rows.length) {
      charts.append(h('p.empty', t('ind.none')));
      return;
    }
    const label = (r) => String(r.group === '' ? '(none)' : r.group);
    const by = t('ind.by', t(`group.${group}`));
    
    charts.append(
      h('section.panel', barChart(rows.map((r) => ({ label: label(r), ...rate(r, 'closure_rate') })), { title: `${t('ind.closure_rate')} ${by}`, max: 1, kind: 'rate' })),
      h('section.panel', barChart(rows.map((r) => ({ label: label(r), ...rate(r, 'on_time_rate') })), { title: `${t('ind.on_time_rate')} ${by}`, max: 1, kind: 'ontime' })),
      h('section.panel', barChart(rows.map((r) => ({ label: label(r), value: (r.counts || {}).received ?? 0 })), { title: `${t('ind.received')} ${by}`, kind: 'count' })),
      h('section.panel', barChart(rows.map((r) => ({ label: label(r), value: (r.counts || {}).closed ?? 0 })), { title: `${t('ind.closed')} ${by}`, kind: 'closed' })));
  };
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
