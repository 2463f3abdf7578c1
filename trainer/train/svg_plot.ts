// Line charts as plain SVG (no dependencies): one chart, several series,
// linear or log y axis, with axis ticks and a legend.

export interface Series {
  name: string;
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

export function lineChart(series: readonly Series[], o: ChartOptions): string {
  // The legend column is as wide as the longest series name (about 6.5 px a character at 11 px).
  const legendWidth = 40 + 6.5 * Math.max(0, ...series.map((s) => s.name.length));
  const W = (o.width ?? 490) + legendWidth, H = o.height ?? 360;
  const left = 70, right = legendWidth, top = 36, bottom = 46;
  const pw = W - left - right, ph = H - top - bottom;
  const usable = series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logY || y > 0)) }));
  const xs = usable.flatMap((s) => s.points.map((p) => p[0]));
  const ys = usable.flatMap((s) => s.points.map((p) => (o.logY ? Math.log10(p[1]) : p[1])));
  let x0 = Math.min(...xs, Infinity), x1 = Math.max(...xs, -Infinity);
  let y0 = Math.min(...ys, Infinity), y1 = Math.max(...ys, -Infinity);
  if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; }
  if (!Number.isFinite(y0)) { y0 = 0; y1 = 1; }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad; y1 += pad;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => top + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${left + pw / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`);
  parts.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  for (const t of niceTicks(x0, x1, 6)) {
    parts.push(`<line x1="${sx(t)}" y1="${top + ph}" x2="${sx(t)}" y2="${top + ph + 4}" stroke="#444"/><text x="${sx(t)}" y="${top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1, 5)) {
    const label = o.logY ? fmt(10 ** t) : fmt(t);
    parts.push(`<line x1="${left}" y1="${sy(t)}" x2="${left + pw}" y2="${sy(t)}" stroke="#ddd"/><text x="${left - 6}" y="${sy(t) + 4}" text-anchor="end">${label}</text>`);
  }
  parts.push(`<text x="${left + pw / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text x="14" y="${top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + ph / 2})">${escapeXml(o.yLabel + (o.logY ? ' (log)' : ''))}</text>`);
  usable.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(o.logY ? Math.log10(y) : y).toFixed(1)}`).join(' ');
    if (s.points.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`);
    for (const [x, y] of s.points.length <= 30 ? s.points : []) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(o.logY ? Math.log10(y) : y).toFixed(1)}" r="2.5" fill="${color}"/>`);
    const ly = top + 10 + i * 16;
    parts.push(`<line x1="${left + pw + 10}" y1="${ly}" x2="${left + pw + 28}" y2="${ly}" stroke="${color}" stroke-width="2"/><text x="${left + pw + 32}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
