// Coordinates for the map. Case locations come in WGS-84 (the aggregator's internal system);
// the grid's cells are drawn as the district's GeoJSON gives them, often GCJ-02 (the system
// Chinese map data is published in, ~500 m off WGS-84). Points are converted into the grid's
// system before drawing. GCJ-02: the public forward algorithm (as aggregator/grid/coords.cpp)
// and an iterative inverse.
const A = 6378245.0;
const EE = 0.00669342162296594323;
const PI = Math.PI;

const inChina = (lon, lat) => lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;

function tLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
  r += ((20 * Math.sin(y * PI) + 40 * Math.sin((y / 3) * PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * PI) + 320 * Math.sin((y * PI) / 30)) * 2) / 3;
  return r;
}
function tLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
  r += ((20 * Math.sin(x * PI) + 40 * Math.sin((x / 3) * PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * PI) + 300 * Math.sin((x / 30) * PI)) * 2) / 3;
  return r;
}

export function wgsToGcj([lon, lat]) {
  if (!inChina(lon, lat)) return [lon, lat];
  let dLat = tLat(lon - 105, lat - 35);
  let dLon = tLon(lon - 105, lat - 35);
  const radLat = (lat / 180) * PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sq = Math.sqrt(magic);
  dLat = (dLat * 180) / (((A * (1 - EE)) / (magic * sq)) * PI);
  dLon = (dLon * 180) / ((A / sq) * Math.cos(radLat) * PI);
  return [lon + dLon, lat + dLat];
}

export function gcjToWgs([lon, lat]) {
  let [x, y] = [lon, lat];
  for (let i = 0; i < 30; i++) {
    const [gx, gy] = wgsToGcj([x, y]);
    const [dx, dy] = [lon - gx, lat - gy];
    x += dx;
    y += dy;
    if (Math.abs(dx) < 1e-11 && Math.abs(dy) < 1e-11) break;
  }
  return [x, y];
}

const norm = (crs) => {
  const c = String(crs || '').toUpperCase().replace(/[^A-Z0-9]/g, '');
  return c === 'GCJ02' ? 'GCJ02' : 'WGS84';  // CGCS2000 is WGS-84 within centimetres
};

// [lon, lat] given in `from` → in `to`.
export function convert(p, from, to) {
  const f = norm(from);
  const t = norm(to);
  if (f === t) return p;
  return f === 'GCJ02' ? gcjToWgs(p) : wgsToGcj(p);
}

function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
export function inGeometry(p, geom) {
  if (!geom) return false;
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : [];
  return polys.some(([shell, ...holes]) => inRing(p, shell) && !holes.some((h) => inRing(p, h)));
}

// The grid's coordinate system: declared (`coordinate_system`), else learnt from cases whose
// WGS-84 location must lie in their own cell, else GCJ-02 inside China (published Chinese map
// data) and WGS-84 elsewhere (where the two are the same).
export function gridSystem(geo, cases, [x0, y0, x1, y1]) {
  if (geo && geo.coordinate_system) return norm(geo.coordinate_system);
  const byCode = new Map(((geo && geo.features) || []).map((f) => [f.properties && f.properties.code, f]));
  for (const c of cases) {
    const f = byCode.get(c.cell_code);
    if (!f || !c.location || c.location.lon == null) continue;
    const p = [c.location.lon, c.location.lat];
    const asWgs = inGeometry(p, f.geometry);
    const asGcj = inGeometry(wgsToGcj(p), f.geometry);
    if (asWgs !== asGcj) return asGcj ? 'GCJ02' : 'WGS84';
  }
  return inChina((x0 + x1) / 2, (y0 + y1) / 2) ? 'GCJ02' : 'WGS84';
}
