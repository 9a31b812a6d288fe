// Inline SVG bar charts (no library): one horizontal bar per row, value as a share (0..1)
// or a count, with the label on the left and the figure (`text`, else format(value)) on the right.
import { s } from './ui.js';

export function barChart(rows, { title, max, format = String, width = 460, rowHeight = 22, kind = '' } = {}) {
  const labelW = 150;
  const valueW = 64;
  const barW = width - labelW - valueW - 8;
  const top = title ? 24 : 4;
  const height = top + rows.length * rowHeight + 4;
  const m = max ?? Math.max(1, ...rows.map((r) => r.value ?? 0));
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', class: `chart ${kind}`, role: 'img' });
  if (title) svg.append(s('text', { x: 0, y: 15, class: 'ctitle' }, title));
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const v = r.value;
    const w = v == null || !isFinite(v) ? 0 : Math.max(v > 0 ? 1.5 : 0, (Math.min(v, m) / m) * barW);
    svg.append(
      s('text', { x: labelW - 6, y: y + rowHeight / 2 + 4, class: 'clabel', 'text-anchor': 'end' },
        r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label, s('title', {}, r.label)),
      s('rect', { x: labelW, y: y + 4, width: barW, height: rowHeight - 8, class: 'ctrack', rx: 2 }),
      s('rect', { x: labelW, y: y + 4, width: w.toFixed(1), height: rowHeight - 8, class: `cbar ${r.cls ?? ''}`, rx: 2 }),
      s('text', { x: width - 2, y: y + rowHeight / 2 + 4, class: 'cvalue', 'text-anchor': 'end' }, r.text ?? format(v)),
    );
  });
  return svg;
}
