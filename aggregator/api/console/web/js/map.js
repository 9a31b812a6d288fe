// The grid map: cells (GeoJSON) drawn as SVG paths with an equirectangular projection
// scaled by cos(latitude) and fitted to the cells' bounds (a district spans a few km, where
// this is indistinguishable from Web Mercator). No tiles: the cells are the map. Wheel zooms,
// drag pans, "Fit" resets.
import { s, h, isOverdue } from './ui.js';
import { t } from './i18n.js';
import { convert, gridSystem } from './geo.js';

function eachPosition(geom, fn) {
  if (!geom) return;
  const polys = geom.type === 'Polygon' ? [geom.coordinates]
    : geom.type === 'MultiPolygon' ? geom.coordinates : [];
  for (const poly of polys) for (const ring of poly) for (const p of ring) fn(p);
}

export function bounds(features) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of features) {
    eachPosition(f.geometry, ([x, y]) => {
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    });
  }
  return [x0, y0, x1, y1];
}

export function projection([x0, y0, x1, y1], width, height, margin = 16) {
  const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
  const w = (x1 - x0) * k || 1e-6;
  const hgt = (y1 - y0) || 1e-6;
  const scale = Math.min((width - 2 * margin) / w, (height - 2 * margin) / hgt);
  const ox = (width - w * scale) / 2;
  const oy = (height - hgt * scale) / 2;
  return ([lon, lat]) => [ox + (lon - x0) * k * scale, oy + (y1 - lat) * scale];
}

function pathOf(geom, project) {
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;
  let d = '';
  for (const poly of polys) {
    for (const ring of poly) {
      ring.forEach((p, i) => {
        const [x, y] = project(p);
        d += `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
      });
      d += 'Z';
    }
  }
  return d;
}

const LEVELS = { district: 1, street: 2, community: 3, base_grid: 4, fine1: 5, fine2: 6 };
function levelOf(f) {
  const p = f.properties || {};
  if (LEVELS[p.level]) return LEVELS[p.level];
  if (Number(p.level) >= 1) return Number(p.level);
  const n = String(p.code || '').length;  // 6, 9, 12, 15... digits
  return n ? Math.max(1, n / 3 - 1) : 4;
}

// Draws the map into `container`; returns {setCases(cases)} to refresh the markers.
export function drawMap(container, geojson, { onCase, onCell, cameras } = {}) {
  const W = 1000;
  const H = 640;
  const features = (geojson && geojson.features) || [];
  const project = projection(bounds(features), W, H);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'map', role: 'img', 'data-testid': 'map' });
  const cellsG = s('g', { class: 'cells' });
  const labelsG = s('g', { class: 'labels' });
  const camsG = s('g', { class: 'cams' });
  const casesG = s('g', { class: 'cases' });
  // Coarse levels on top (their outlines frame the base grids); dedicated grids hatched.
  const sorted = [...features].sort((a, b) => levelOf(b) - levelOf(a));
  for (const f of sorted) {
    if (!f.geometry) continue;
    const p = f.properties || {};
    const lvl = levelOf(f);
    const path = s('path', {
      d: pathOf(f.geometry, project),
      class: `cell lvl${lvl}${p.dedicated ? ' dedicated' : ''}`,
      'data-code': p.code,
      onclick: () => onCell && onCell(p),
    }, s('title', {}, `${p.code} ${p.name || ''}`));
    cellsG.append(path);
    if (lvl === 3 && p.name) {
      // The community's name along its bottom-left corner.
      let [lx, ly] = [Infinity, -Infinity];
      eachPosition(f.geometry, (q) => { const [x, y] = project(q); lx = Math.min(lx, x); ly = Math.max(ly, y); });
      if (isFinite(lx)) labelsG.append(s('text', { x: (lx + 6).toFixed(1), y: (ly - 7).toFixed(1), class: 'cname' }, p.name));
    }
    if (lvl === 4 && !p.dedicated) {
      // The grid number in the cell's top-left corner, clear of the markers.
      let [lx, ly] = [Infinity, Infinity];
      eachPosition(f.geometry, (q) => { const [x, y] = project(q); lx = Math.min(lx, x); ly = Math.min(ly, y); });
      if (isFinite(lx)) labelsG.append(s('text', { x: (lx + 5).toFixed(1), y: (ly + 13).toFixed(1) }, String(p.code).slice(-3)));
    }
  }
  const box = bounds(features);
  const drawCameras = (system) => {
    camsG.replaceChildren();
    for (const c of (cameras && cameras.features) || []) {
      const g = c.geometry;
      if (!g || g.type !== 'Point') continue;
      const p = c.properties || {};
      const [x, y] = project(convert(g.coordinates, p.crs || 'WGS84', system));
      camsG.append(s('rect', { x: x - 3, y: y - 3, width: 6, height: 6, class: 'cam' },
        s('title', {}, `${p.camera_id ?? c.id ?? ''}${p.zone ? ` / ${p.zone}` : ''}`)));
    }
  };
  svg.append(cellsG, labelsG, camsG, casesG);

  // Zoom and pan through the viewBox.
  let vb = [0, 0, W, H];
  const apply = () => svg.setAttribute('viewBox', vb.map((v) => v.toFixed(1)).join(' '));
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    const mx = vb[0] + ((e.clientX - r.left) / r.width) * vb[2];
    const my = vb[1] + ((e.clientY - r.top) / r.height) * vb[3];
    const f = e.deltaY < 0 ? 0.8 : 1.25;
    const nw = Math.min(W * 2, Math.max(W / 20, vb[2] * f));
    const nh = (nw / W) * H;
    vb = [mx - ((mx - vb[0]) * nw) / vb[2], my - ((my - vb[1]) * nh) / vb[3], nw, nh];
    apply();
  }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY, vb: [...vb] }; });
  svg.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    const dx = ((e.clientX - drag.x) / r.width) * vb[2];
    const dy = ((e.clientY - drag.y) / r.height) * vb[3];
    if (Math.abs(dx) + Math.abs(dy) > 0.5) svg.classList.add('panning');
    vb = [drag.vb[0] - dx, drag.vb[1] - dy, vb[2], vb[3]];
    apply();
  });
  const end = () => { drag = null; setTimeout(() => svg.classList.remove('panning'), 0); };
  svg.addEventListener('pointerup', end);
  svg.addEventListener('pointerleave', end);

  const fit = h('button.ghost.small', { type: 'button', onclick: () => { vb = [0, 0, W, H]; apply(); } }, t('map.fit'));
  container.append(h('div.mapwrap', svg, h('div.maptools', fit)));

  return {
    setCases(cases) {
      // Case locations are WGS-84; the cells are in the grid's own system.
      const system = gridSystem(geojson, cases, box);
      drawCameras(system);
      casesG.replaceChildren();
      const now = Date.now();
      // Overdue on top.
      const list = [...cases].sort((a, b) => isOverdue(a, now) - isOverdue(b, now));
      for (const c of list) {
        const loc = c.location;
        if (!loc || loc.lon == null) continue;
        const [x, y] = project(convert([loc.lon, loc.lat], 'WGS84', system));
        const od = isOverdue(c, now);
        const g = s('g', {
          class: `marker st-${c.state}${od ? ' overdue' : ''}`,
          transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`,
          'data-case': c.id,
          onclick: () => { if (!svg.classList.contains('panning') && onCase) onCase(c); },
        },
        od ? s('circle', { r: 11, class: 'halo' }) : null,
        s('circle', { r: 6.5 }),
        s('title', {}, `#${c.id} ${c.class_code} ${c.class_name ?? ''} · ${c.state}${od ? ' · overdue' : ''}`));
        casesG.append(g);
      }
    },
  };
}
