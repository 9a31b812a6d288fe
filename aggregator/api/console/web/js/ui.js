// Small DOM helpers shared by the pages.
import { t, word } from './i18n.js';

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
// Local wall-clock time, compact: "11-25 14:03" (with the year when not this year).
export function fmtTime(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  const now = new Date();
  const day = `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getFullYear() === now.getFullYear() ? day : `${d.getFullYear()}-${day}`;
}
export function fmtFull(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function fmtDuration(ms) {
  if (ms == null || !isFinite(ms)) return '—';
  const m = Math.round(Math.abs(ms) / 60000);
  if (m < 60) return `${m} min`;
  if (m < 48 * 60) return `${Math.floor(m / 60)} h ${m % 60} min`;
  return `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
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

export function classLabel(c) {
  const code = c.class_code ?? c.code ?? '';
  const name = c.class_name ?? c.name ?? '';
  return h('span.cls', h('code', code), name ? ` ${name}` : '');
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
