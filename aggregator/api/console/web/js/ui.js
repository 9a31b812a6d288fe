// Small DOM helpers shared by the pages.
import { t, word, lang } from './i18n.js';

// h('div.card#x', {onclick}, child, ...) — children may be strings, nodes, arrays or null.
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const el = document.createElement(m[1] || 'div');
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs != null && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

const SVGNS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c == null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const pad = (n) => String(n).padStart(2, '0');
// Times are shown in the district's time (the API's catalog gives its UTC offset), whatever
// the browser's own zone, with the offset named where a full time is shown.
let offsetMin = 480;
export function setUtcOffset(minutes) {
  if (Number.isFinite(minutes)) offsetMin = minutes;
}
export function tzLabel() {
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return t('tz.label', `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`);
}
const local = (ms) => new Date(ms + offsetMin * 60_000);  // read with getUTC*
// Compact: "11-25 14:03" (with the year when not this year).
export function fmtTime(ms) {
  if (!ms) return '—';
  const d = local(ms);
  const now = local(Date.now());
  const day = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return d.getUTCFullYear() === now.getUTCFullYear() ? day : `${d.getUTCFullYear()}-${day}`;
}
export function fmtFull(ms, withZone = false) {
  if (!ms) return '—';
  const d = local(ms);
  const s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return withZone ? `${s} ${tzLabel()}` : s;
}
// Local midnight of today in the district's time.
export function districtMidnight(now = Date.now()) {
  const d = local(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - offsetMin * 60_000;
}
export function fmtDuration(ms) {
  if (ms == null || !isFinite(ms)) return '—';
  const m = Math.round(Math.abs(ms) / 60000);
  const zh = lang === 'zh';
  if (m < 60) return zh ? `${m} 分钟` : `${m} min`;
  if (m < 48 * 60) return zh ? `${Math.floor(m / 60)} 小时 ${m % 60} 分` : `${Math.floor(m / 60)} h ${m % 60} min`;
  return zh ? `${Math.floor(m / 1440)} 天 ${Math.floor((m % 1440) / 60)} 小时` : `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
}
export function fmtRate(r) {
  return r == null || !isFinite(r) ? '—' : `${(r * 100).toFixed(r === 1 || r === 0 ? 0 : 1)}%`;
}

export function isOverdue(c, now = Date.now()) {
  if (c.overdue != null) return !!c.overdue;
  const open = !['closed', 'evaluated', 'rejected', 'self_corrected', 'parked'].includes(c.state);
  return open && c.due_ms > 0 && c.due_ms < now;
}

export function stateBadge(state, overdue) {
  return h('span.badge', { dataset: { state }, class: `badge st-${state}${overdue ? ' overdue' : ''}` },
    word(state), overdue ? h('b.od', t('case.overdue')) : null);
}

// A name in the console's language: the Chinese name, or the English one when English is
// chosen and the data has it.
export function nameOf(x) {
  if (!x) return '';
  return (lang !== 'zh' && x.english) ? x.english : (x.name || x.english || '');
}

// The class by name, its code (and the other generation's code) secondary.
export function classLabel(c, catalog) {
  const code = c.class_code ?? c.code ?? '';
  const cls = (c.names && c.names.class) || (catalog && catalog.classes.get(code)) || null;
  const name = cls ? nameOf(cls) : '';
  const codes = cls && cls.legacy_code ? `${code} · ${cls.legacy_code}` : code;
  return h('span.cls', { title: codes }, name ? h('span.name', name) : null, h('code', codes));
}

// The cell's path: district › street › community › grid.
export function cellPath(c) {
  return ((c.names && c.names.cell_path) || []).map((p) => p.name).join(' › ');
}
// The cell by its own name (the path as its title), the code secondary.
export function cellLabel(c) {
  const path = (c.names && c.names.cell_path) || [];
  const own = path.length ? path[path.length - 1].name : '';
  return h('span.cell', { title: `${cellPath(c)}\n${c.cell_code || ''}` },
    own ? h('span.name', own) : null, h('code', c.cell_code || '—'));
}

// A department's name (from the case's names or the catalog), its id as the title.
export function departmentName(id, c, catalog) {
  const n = (c && c.names && c.names.departments && c.names.departments[id])
    || (catalog && catalog.departments.get(id));
  return nameOf(n) || id;
}

export function departmentsOf(c) {
  const d = c.departments || [];
  return d.map((x) => (typeof x === 'string' ? x : x.department)).filter(Boolean);
}

export function toast(text, kind = 'info', onclick = null) {
  const box = document.getElementById('toasts');
  const el = h('div.toast', { class: `toast ${kind}`, role: 'status', onclick }, text);
  box.append(el);
  setTimeout(() => el.classList.add('fade'), 5000);
  setTimeout(() => el.remove(), 6000);
  while (box.children.length > 5) box.firstChild.remove();
}

export function field(label, control) {
  return h('label.field', h('span', label), control);
}

export function select(name, options, value, attrs = {}) {
  return h('select', { name, ...attrs },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}
