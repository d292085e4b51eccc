// A small SVG line chart: axes with "nice" ticks (linear or log10), axis labels, a legend, line
// series with gaps (null values), vertical event markers and horizontal threshold lines. Pure
// string building, no DOM and no dependencies, so the benchmark draws its charts offline.

export interface Series {
  name: string;
  /** [x, y]; y null (or non-finite) breaks the line. */
  points: Array<[number, number | null]>;
  color?: string;
  dashed?: boolean;
  /** Draw a dot on every point (for sparse series such as rate steps). @defaultValue false */
  dots?: boolean;
}

export interface Marker {
  x: number;
  /** Markers with the same kind share a colour and one legend entry. */
  kind: string;
  color?: string;
}

export interface Threshold {
  y: number;
  label: string;
  color?: string;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  markers?: Marker[];
  thresholds?: Threshold[];
  /** @defaultValue 'linear' */
  yScale?: 'linear' | 'log';
  /** @defaultValue 880 */
  width?: number;
  /** @defaultValue 420 */
  height?: number;
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#7f7f7f'];
const MARKER_COLORS = ['#888888', '#e377c2', '#bcbd22'];
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Ticks at 1, 2 or 5 × 10^k covering [min, max], about `target` of them. */
export function niceTicks(min: number, max: number, target = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (max <= min) max = min + 1;
  const raw = (max - min) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** Powers of ten covering [min, max] (min > 0). */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-9)));
  const hi = Math.ceil(Math.log10(Math.max(max, min * 10)));
  const ticks: number[] = [];
  for (let k = lo; k <= hi; k++) ticks.push(Number((10 ** k).toPrecision(12)));
  return ticks;
}

export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a >= 1) return trim(v);
  return String(Number(v.toPrecision(3)));
}

function trim(v: number): string {
  return String(Number(v.toFixed(2)));
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 880;
  const height = o.height ?? 420;
  const log = o.yScale === 'log';
  const legendItems = [
    ...o.series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length]!, dashed: s.dashed ?? false, marker: false })),
    ...markerKinds(o.markers ?? []).map(([kind, color]) => ({ name: kind, color, dashed: true, marker: true })),
  ];
  const legendRows = Math.ceil(legendItems.length / 3);
  const subtitleLines = o.subtitle ? wrap(o.subtitle, Math.floor((width - 96) / 6.6)) : [];
  const legendTop = 52 + subtitleLines.length * 15;
  const top = legendTop + legendRows * 18;
  const margin = { top, right: 24, bottom: 52, left: 72 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;

  const xs = o.series.flatMap((s) => s.points.map((p) => p[0])).concat((o.markers ?? []).map((m) => m.x));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]).filter((y): y is number => y !== null && Number.isFinite(y) && (!log || y > 0)));
  ys.push(...(o.thresholds ?? []).map((t) => t.y));
  const xMin = o.xMin ?? (xs.length ? Math.min(...xs) : 0);
  const xMaxRaw = o.xMax ?? (xs.length ? Math.max(...xs) : 1);
  const xTicks = niceTicks(xMin, xMaxRaw > xMin ? xMaxRaw : xMin + 1);
  const xMax = o.xMax ?? xTicks[xTicks.length - 1]!;
  let yTicks: number[];
  let yLo: number;
  let yHi: number;
  if (log) {
    const lo = o.yMin ?? (ys.length ? Math.min(...ys) : 0.1);
    const hi = o.yMax ?? (ys.length ? Math.max(...ys) : 10);
    yTicks = logTicks(lo, hi);
    yLo = yTicks[0]!;
    yHi = yTicks[yTicks.length - 1]!;
  } else {
    const lo = o.yMin ?? 0;
    const hi = o.yMax ?? (ys.length ? Math.max(...ys) : 1);
    yTicks = niceTicks(lo, hi > lo ? hi : lo + 1, 5);
    yLo = yTicks[0]!;
    yHi = yTicks[yTicks.length - 1]!;
  }
  const sx = (x: number) => margin.left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const sy = (y: number) => {
    const v = log ? (Math.log10(Math.max(y, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo) || 1) : (y - yLo) / (yHi - yLo || 1);
    return margin.top + plotH - Math.min(1, Math.max(0, v)) * plotH;
  };

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text class="title" x="${margin.left}" y="22" font-size="16" font-weight="bold" fill="#222">${escapeXml(o.title)}</text>`);
  subtitleLines.forEach((line, k) => out.push(`<text class="subtitle" x="${margin.left}" y="${40 + k * 15}" font-size="12" fill="#555">${escapeXml(line)}</text>`));

  // grid and axes
  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const t of yTicks) out.push(`<line x1="${fmt(margin.left)}" y1="${fmt(sy(t))}" x2="${fmt(margin.left + plotW)}" y2="${fmt(sy(t))}"/>`);
  for (const t of xTicks) if (t <= xMax) out.push(`<line x1="${fmt(sx(t))}" y1="${fmt(margin.top)}" x2="${fmt(sx(t))}" y2="${fmt(margin.top + plotH)}"/>`);
  out.push('</g>');
  out.push(`<g class="axes" stroke="#333" stroke-width="1"><line x1="${margin.left}" y1="${fmt(margin.top + plotH)}" x2="${fmt(margin.left + plotW)}" y2="${fmt(margin.top + plotH)}"/><line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${fmt(margin.top + plotH)}"/></g>`);
  out.push('<g class="y-ticks" fill="#333" text-anchor="end">');
  for (const t of yTicks) out.push(`<text x="${margin.left - 6}" y="${fmt(sy(t) + 4)}">${escapeXml(formatTick(t))}</text>`);
  out.push('</g><g class="x-ticks" fill="#333" text-anchor="middle">');
  for (const t of xTicks) if (t <= xMax) out.push(`<text x="${fmt(sx(t))}" y="${fmt(margin.top + plotH + 16)}">${escapeXml(formatTick(t))}</text>`);
  out.push('</g>');
  out.push(`<text class="x-label" x="${fmt(margin.left + plotW / 2)}" y="${height - 12}" text-anchor="middle" fill="#222">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text class="y-label" transform="translate(18 ${fmt(margin.top + plotH / 2)}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(o.yLabel)}${log ? ' (log scale)' : ''}</text>`);

  // thresholds and markers
  for (const th of o.thresholds ?? []) {
    const color = th.color ?? '#999';
    out.push(`<g class="threshold"><line x1="${margin.left}" y1="${fmt(sy(th.y))}" x2="${fmt(margin.left + plotW)}" y2="${fmt(sy(th.y))}" stroke="${color}" stroke-dasharray="6 4"/><text x="${fmt(margin.left + plotW - 4)}" y="${fmt(sy(th.y) - 4)}" text-anchor="end" fill="${color}">${escapeXml(th.label)}</text></g>`);
  }
  const kindColor = new Map(markerKinds(o.markers ?? []));
  for (const m of o.markers ?? []) {
    if (m.x < xMin || m.x > xMax) continue;
    out.push(`<line class="marker" x1="${fmt(sx(m.x))}" y1="${margin.top}" x2="${fmt(sx(m.x))}" y2="${fmt(margin.top + plotH)}" stroke="${kindColor.get(m.kind)}" stroke-width="1.5" stroke-dasharray="3 3"/>`);
  }

  // series
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const segments: string[] = [];
    let current: string[] = [];
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y) || (log && y <= 0)) {
        if (current.length) segments.push(current.join(' '));
        current = [];
        continue;
      }
      current.push(`${current.length ? 'L' : 'M'}${fmt(sx(x))},${fmt(sy(y))}`);
    }
    if (current.length) segments.push(current.join(' '));
    const dash = s.dashed ? ' stroke-dasharray="7 4"' : '';
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    for (const d of segments) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash} stroke-linejoin="round"/>`);
    if (s.dots) {
      for (const [x, y] of s.points) if (y !== null && Number.isFinite(y) && (!log || y > 0)) out.push(`<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="3.5" fill="${color}"/>`);
    }
    out.push('</g>');
  });

  // legend: three columns under the title
  out.push('<g class="legend">');
  const colW = (width - margin.left - margin.right) / 3;
  legendItems.forEach((item, k) => {
    const x = margin.left + (k % 3) * colW;
    const y = legendTop + Math.floor(k / 3) * 18 - 8;
    const dash = item.dashed ? ` stroke-dasharray="${item.marker ? '3 3' : '7 4'}"` : '';
    out.push(`<line x1="${fmt(x)}" y1="${fmt(y)}" x2="${fmt(x + 26)}" y2="${fmt(y)}" stroke="${item.color}" stroke-width="${item.marker ? 1.5 : 2.5}"${dash}/>`);
    out.push(`<text x="${fmt(x + 32)}" y="${fmt(y + 4)}" fill="#222">${escapeXml(item.name)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Greedy word wrap at `maxChars` per line. */
export function wrap(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function markerKinds(markers: Marker[]): Array<[string, string]> {
  const kinds = new Map<string, string>();
  for (const m of markers) if (!kinds.has(m.kind)) kinds.set(m.kind, m.color ?? MARKER_COLORS[kinds.size % MARKER_COLORS.length]!);
  return [...kinds];
}
