// The console's shell: session, navigation (hash routes), the live feed and toasts.
//   #/login  #/map  #/queue?state=&class=&department=&cell=&source=&overdue=true
//   #/review  #/case/<id>  #/indicators?group_by=&days=
import * as API from './api.js';
import { t, word, lang, setLang } from './i18n.js';
import { h, toast, setUtcOffset, nameOf } from './ui.js';
import * as pages from './pages.js';

const NAV = {
  dispatcher: ['map', 'queue', 'review', 'indicators'],
  department: ['map', 'queue', 'indicators'],
  supervisor: ['map', 'queue', 'indicators'],
  readonly: ['map', 'queue', 'indicators'],
};

const ctx = {
  user: null,
  cells: null,  // the grid, loaded once
  cellsLoaded() {
    if (!ctx.cells) ctx.cells = API.cells();
    return Promise.resolve(ctx.cells);
  },
  departments: new Set(),  // seen on cases: suggestions for dispatch and filters
  // Names of classes and departments and the district's UTC offset (GET /api/v1/catalog).
  catalog: { classes: new Map(), departments: new Map() },
  async loadCatalog() {
    try {
      const c = await API.catalog();
      ctx.catalog = {
        classes: new Map((c.classes || []).map((x) => [x.code, x])),
        departments: new Map((c.departments || []).map((x) => [x.id, x])),
        map: c.map || null,
      };
      for (const x of c.classes || []) if (x.legacy_code) ctx.catalog.classes.set(x.legacy_code, x);
      for (const d of c.departments || []) ctx.departments.add(d.id);
      setUtcOffset(c.utc_offset_minutes);
    } catch { /* names fall back to codes */ }
  },
  go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  async signedIn(user) {
    ctx.user = user;
    await ctx.loadCatalog();
    startFeed();
    ctx.go(home());
  },
};

let current = null;  // the shown page's {onFeed, destroy}
let feed = null;
let renderSeq = 0;

function home() {
  if (!ctx.user) return '#/login';
  if (ctx.user.role === 'supervisor') return '#/queue?state=resolved';
  // A department starts on its own open cases, the nearest deadline first.
  if (ctx.user.role === 'department') return '#/queue?open=true&sort=deadline';
  return '#/queue';
}

function header() {
  const top = document.getElementById('top');
  top.hidden = !ctx.user;
  if (!ctx.user) return;
  const page = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const nav = document.getElementById('nav');
  nav.replaceChildren(...(NAV[ctx.user.role] || NAV.readonly).map((p) => h('a', {
    href: `#/${p}`, class: p === page || (p === 'queue' && page === 'case') ? 'on' : '', 'data-nav': p,
  }, t(`nav.${p}`))));
  const who = document.getElementById('who');
  const dep = ctx.user.department;
  who.replaceChildren(h('b', ctx.user.name), h('span', t(`role.${ctx.user.role}`)),
    ...(dep ? [h('span.dep', { title: dep }, nameOf(ctx.catalog.departments.get(dep)) || dep)] : []));
}

async function route() {
  const seq = ++renderSeq;
  const [path, qs] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(qs || '');
  const parts = path.split('/').filter(Boolean);
  if (!ctx.user && parts[0] !== 'login') {
    location.hash = '#/login';
    return;
  }
  if (current && current.destroy) current.destroy();
  current = null;
  header();
  const view = document.getElementById('view');
  view.replaceChildren(h('p.loading', t('loading')));
  const page = document.createElement('div');
  page.className = `page page-${parts[0] || 'home'}`;
  let handle;
  try {
    switch (parts[0]) {
      case 'login': handle = await pages.login(page, ctx); break;
      case 'map': handle = await pages.map(page, ctx, params); break;
      case 'review': handle = await pages.review(page, ctx, params); break;
      case 'case': handle = await pages.casePage(page, ctx, params, parts[1]); break;
      case 'indicators': handle = await pages.indicators(page, ctx, params); break;
      case 'queue': handle = await pages.queue(page, ctx, params); break;
      default: location.hash = home(); return;
    }
  } catch (err) {
    if (seq !== renderSeq) return;
    page.replaceChildren(h('div.panel.errorpanel', h('h2', t('error.generic')), h('p', err.message)));
  }
  if (seq !== renderSeq) {  // another route started meanwhile
    if (handle && handle.destroy) handle.destroy();
    return;
  }
  view.replaceChildren(page);
  current = handle || null;
}

function setLive(on) {
  const el = document.getElementById('live');
  el.className = `live ${on ? 'on' : 'off'}`;
  el.dataset.state = on ? 'on' : 'off';
  el.textContent = on ? t('live.on') : t('live.off');
  el.title = t('live.title');
}

function startFeed() {
  if (feed) feed.close();
  feed = API.subscribe((kind, evt) => {
    if (evt.kind === 'new_case') {
      const cls = nameOf(ctx.catalog.classes.get(evt.class_code)) || evt.class_code;
      toast(t('toast.new_case', `#${evt.case_id}`, cls, evt.cell_code), 'new', () => ctx.go(`#/case/${evt.case_id}`));
    } else if (evt.kind === 'transition' && evt.transition && evt.transition.actor === `user:${ctx.user?.name}`) {
      // One's own action was confirmed by the page already.
    } else if (evt.kind === 'transition' && evt.transition) {
      toast(t('toast.transition', `#${evt.case_id}`, word(evt.transition.action), word(evt.state)), 'info', () => ctx.go(`#/case/${evt.case_id}`));
    } else if (evt.kind === 'reminder') {
      toast(t('toast.reminder', `#${evt.case_id}`), 'warn');
    } else if (evt.kind === 'supervision') {
      toast(t('toast.supervision', `#${evt.case_id}`, evt.round), 'error');
    }
    if (current && current.onFeed) {
      Promise.resolve(current.onFeed(evt)).catch(() => {});
    }
  }, setLive);
}

function signOut() {
  if (feed) feed.close();
  feed = null;
  ctx.user = null;
  setLive(false);
  location.hash = '#/login';
}

API.setUnauthorizedHandler(() => {
  if (!ctx.user) return;  // not signed in yet: the start-up below decides where to go
  toast(t('error.session'), 'error');
  signOut();
});

document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
{
  const sw = document.getElementById('lang');
  sw.textContent = t('lang.switch');
  sw.title = t('lang.title');
  sw.addEventListener('click', () => setLang(lang === 'zh' ? 'en' : 'zh'));
}
document.getElementById('logout').textContent = t('logout');
document.getElementById('logout').addEventListener('click', async () => {
  try { await API.logout(); } catch { /* the session may be gone already */ }
  signOut();
});
window.addEventListener('hashchange', route);
setLive(false);

(async () => {
  try {
    const me = await API.me();
    ctx.user = me;
    await ctx.loadCatalog();
    startFeed();
  } catch { /* not signed in */ }
  // Exactly one first render: through hashchange when the address changes, else directly.
  const target = !ctx.user || !location.hash || location.hash === '#/login' ? home() : location.hash;
  if (location.hash !== target) location.hash = target;
  else route();
})();
