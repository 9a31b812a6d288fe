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
  const boxes = new Map();  // code → projected [x0, y0, x1, y1]
  for (const f of sorted) {
    if (!f.geometry) continue;
    const p = f.properties || {};
    const lvl = levelOf(f);
    {
      let [bx0, by0, bx1, by1] = [Infinity, Infinity, -Infinity, -Infinity];
      eachPosition(f.geometry, (q) => {
        const [x, y] = project(q);
        bx0 = Math.min(bx0, x); by0 = Math.min(by0, y); bx1 = Math.max(bx1, x); by1 = Math.max(by1, y);
      });
      if (isFinite(bx0)) boxes.set(String(p.code), [bx0, by0, bx1, by1]);
    }
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
  const clustersG = s('g', { class: 'clusters' });
  const tilesG = s('g', { class: 'tiles-bg' });
  svg.append(tilesG, cellsG, labelsG, camsG, clustersG, casesG);
  const zoomListeners = [];

  // Zoom and pan through the viewBox.
  let vb = [0, 0, W, H];
  const apply = () => {
    svg.setAttribute('viewBox', vb.map((v) => v.toFixed(1)).join(' '));
    for (const fn of zoomListeners) fn();
  };
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

  const zoomTo = ([x0, y0, x1, y1]) => {
    const pad = 20;
    const nw = Math.max(W / 20, Math.max(x1 - x0 + 2 * pad, ((y1 - y0 + 2 * pad) * W) / H));
    const nh = (nw / W) * H;
    vb = [(x0 + x1) / 2 - nw / 2, (y0 + y1) / 2 - nh / 2, nw, nh];
    apply();
  };
  const fit = h('button.ghost.small', { type: 'button', onclick: () => { vb = [0, 0, W, H]; apply(); } }, t('map.fit'));
  container.append(h('div.mapwrap', svg, h('div.maptools', fit)));

  return {
    // How far in: 1 at "Fit", larger when zoomed in.
    zoom: () => W / vb[2],
    onZoom(fn) { zoomListeners.push(fn); },
    // Codes of the cells with `digits` digits whose box meets the view.
    visibleCells(digits = 15) {
      const out = [];
      for (const [code, [x0, y0, x1, y1]] of boxes) {
        if (code.length !== digits) continue;
        if (x1 < vb[0] || x0 > vb[0] + vb[2] || y1 < vb[1] || y0 > vb[1] + vb[3]) continue;
        out.push(code);
      }
      return out;
    },
    // Counts per cell ({code, open, overdue}) as circles at the cells' centres, overdue in
    // red and drawn last (on top); `hide` holds codes whose cases are shown one by one.
    setClusters(cells, hide = new Set()) {
      clustersG.replaceChildren();
      const list = [...cells].filter((c) => c.open > 0 && !hide.has(c.code))
        .sort((a, b) => (a.overdue > 0) - (b.overdue > 0));
      for (const c of list) {
        const b = boxes.get(c.code);
        if (!b) continue;
        const [x, y] = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
        const r = Math.min(26, 9 + Math.sqrt(c.open) * 1.6);
        clustersG.append(s('g', {
          class: `cl${c.overdue ? ' overdue' : ''}`, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`,
          'data-cell': c.code, 'data-open': c.open, 'data-overdue': c.overdue,
          onclick: () => { if (!svg.classList.contains('panning')) zoomTo(b); },
        }, s('circle', { r: r.toFixed(1) }), s('text', { 'text-anchor': 'middle', y: 4 }, String(c.open)),
        s('title', {}, `${c.code}: ${c.open} / ${c.overdue}`)));
      }
    },
    // Background tiles: [{href, box: [x0, y0, x1, y1]}] in the map's own coordinates.
    setTiles(tiles) {
      tilesG.replaceChildren(...tiles.map((tl) => s('image', {
        href: tl.href, x: tl.box[0].toFixed(1), y: tl.box[1].toFixed(1),
        width: (tl.box[2] - tl.box[0]).toFixed(1), height: (tl.box[3] - tl.box[1]).toFixed(1),
        preserveAspectRatio: 'none',
      })));
    },
    project, box, view: () => [...vb],
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

// The case page's small map: the case's community (its cells, the case's cell highlighted),
// the camera and the case's location.
export function miniMap(container, geojson, c, cameras) {
  const W = 320;
  const H = 200;
  const code = String(c.cell_code || '');
  const all = (geojson && geojson.features) || [];
  const scope = code.slice(0, Math.min(12, code.length));
  let features = all.filter((f) => String((f.properties || {}).code || '').startsWith(scope) && levelOf(f) >= 3);
  if (!features.length) features = all;
  const box = bounds(features);
  const project = projection(box, W, H, 8);
  const system = gridSystem(geojson, [c], box);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'map mini', role: 'img' });
  for (const f of [...features].sort((a, b) => levelOf(a) - levelOf(b))) {
    if (!f.geometry) continue;
    const p = f.properties || {};
    svg.append(s('path', {
      d: pathOf(f.geometry, project),
      class: `cell lvl${levelOf(f)}${p.code === code ? ' here' : ''}`,
      'data-code': p.code,
    }, s('title', {}, `${p.name || ''} ${p.code}`)));
  }
  const cam = ((cameras && cameras.features) || []).find((x) => (x.properties || {}).camera_id === c.camera_id);
  if (cam && cam.geometry && cam.geometry.type === 'Point') {
    const [x, y] = project(convert(cam.geometry.coordinates, (cam.properties || {}).crs || 'WGS84', system));
    svg.append(s('rect', { x: x - 4, y: y - 4, width: 8, height: 8, class: 'cam', 'data-testid': 'minimap-camera' },
      s('title', {}, (cam.properties || {}).name || c.camera_id)));
  }
  if (c.location && c.location.lon != null) {
    const [x, y] = project(convert([c.location.lon, c.location.lat], 'WGS84', system));
    svg.append(s('g', { class: `marker st-${c.state}${isOverdue(c) ? ' overdue' : ''}`, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` },
      s('circle', { r: 5.5 })));
  }
  container.replaceChildren(svg);
}
