/**
 * A latency CDF as a standalone SVG, by hand (no chart library): log-scaled x (ms), percentile on
 * y stretched towards the tail (y = -log10(1 - p), so 50, 90, 99 and 99.9 % are evenly spaced and
 * p99 is readable), one line per series, optional vertical marker lines (targets).
 */

export interface CdfSeries {
  label: string;
  color: string;
  /** Latencies in ms (any order). */
  values: readonly number[];
  dashed?: boolean;
}

export interface CdfMarker {
  label: string;
  x: number;
  color?: string;
}

export interface CdfOptions {
  title: string;
  subtitle?: string;
  series: readonly CdfSeries[];
  markers?: readonly CdfMarker[];
  width?: number;
  height?: number;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Tick values 1-2-5 per decade between lo and hi. */
/** The chart's size, margins (`bottom` below the plot, for the axis label and legend) and plot area. */
function frame(options: { width?: number; height?: number; subtitle?: string | undefined }, bottom: number) {
  const width = options.width ?? 760;
  const height = options.height ?? 420;
  const m = { left: 60, right: 20, top: options.subtitle ? 58 : 40, bottom };
  return { width, height, m, plotW: width - m.left - m.right, plotH: height - m.top - m.bottom };
}

/** A dashed marker line from `line` = [x1, y1, x2, y2] with its label at `at` = [x, y]. */
function marker(
  k: { label: string; color?: string | undefined },
  [x1, y1, x2, y2]: readonly string[],
  [tx, ty]: readonly string[],
): string[] {
  const color = k.color ?? '#b00020';
  return [
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${color}" stroke-dasharray="2 3"/>`,
    `<text x="${tx}" y="${ty}" fill="${color}" font-size="11">${esc(k.label)}</text>`,
  ];
}

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

const tickLabel = (v: number): string => (v >= 1 ? `${v}` : v.toPrecision(1));

/** Renders the chart. At most ~400 points per series (quantiles), so the file stays small. */
export function cdfSvg(options: CdfOptions): string {
  const { width, height, m, plotW, plotH } = frame(options, 80);
  const all = options.series.flatMap((s) => s.values).filter((v) => v > 0 && Number.isFinite(v));
  const markerXs = (options.markers ?? []).map((k) => k.x);
  let lo = Math.min(...all, ...markerXs);
  let hi = Math.max(...all, ...markerXs);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0.1;
    hi = 100;
  }
  lo = 10 ** Math.floor(Math.log10(lo));
  hi = 10 ** Math.ceil(Math.log10(hi));
  const x = (v: number): number =>
    m.left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const Y_MAX = 3; // 99.9 %
  const y = (p: number): number => {
    const stretched = Math.min(Y_MAX, -Math.log10(Math.max(1e-9, 1 - p)));
    return m.top + (1 - stretched / Y_MAX) * plotH;
  };

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12" role="img">`,
    `<title>${esc(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${m.left}" y="22" font-size="15" font-weight="600" fill="#111">${esc(options.title)}</text>`,
  );
  if (options.subtitle) {
    parts.push(`<text x="${m.left}" y="40" fill="#555">${esc(options.subtitle)}</text>`);
  }
  // grid + axes
  for (const t of logTicks(lo, hi)) {
    const xt = fmt(x(t));
    parts.push(
      `<line x1="${xt}" y1="${m.top}" x2="${xt}" y2="${m.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${xt}" y="${m.top + plotH + 16}" text-anchor="middle" fill="#444">${tickLabel(t)}</text>`,
    );
  }
  for (const p of [0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]) {
    const yt = fmt(y(p));
    parts.push(
      `<line x1="${m.left}" y1="${yt}" x2="${m.left + plotW}" y2="${yt}" stroke="${p === 0.5 || p === 0.99 ? '#c8c8c8' : '#efefef'}"/>`,
      `<text x="${m.left - 6}" y="${fmt(y(p) + 4)}" text-anchor="end" fill="#444">${p === 0.999 ? '99.9' : fmt(p * 100)} %</text>`,
    );
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${m.left + plotW / 2}" y="${m.top + plotH + 34}" text-anchor="middle" fill="#222">latency (ms, log scale)</text>`,
    `<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#222">percentile (tail stretched)</text>`,
  );
  for (const k of options.markers ?? []) {
    const xm = fmt(x(k.x));
    parts.push(
      ...marker(k, [xm, String(m.top), xm, String(m.top + plotH)], [fmt(x(k.x) + 3), String(m.top + 12)]),
    );
  }
  // series
  for (const s of options.series) {
    const sorted = [...s.values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
    if (sorted.length === 0) continue;
    const n = sorted.length;
    // Points evenly spaced on the stretched y axis (dense in the tail), plus the maximum.
    const points: string[] = [];
    for (let k = 0; k <= 300; k++) {
      const p = 1 - 10 ** (-(k / 300) * Y_MAX);
      const i = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
      points.push(`${fmt(x(sorted[i]!))},${fmt(y(p))}`);
    }
    points.push(`${fmt(x(sorted[n - 1]!))},${fmt(y(1))}`);
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${points.join(' ')}"/>`,
    );
  }
  // legend
  let lx = m.left;
  const ly = height - 22;
  for (const s of options.series) {
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 28}" y="${ly + 4}" fill="#222">${esc(s.label)}</text>`,
    );
    lx += 36 + s.label.length * 6.4;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** A series of (x, y) points, drawn as a line with dots. */
export interface XySeries {
  label: string;
  color: string;
  points: readonly { x: number; y: number }[];
  dashed?: boolean;
}

export interface XyOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: readonly XySeries[];
  /** Horizontal marker lines (e.g. a latency target). */
  yMarkers?: readonly { label: string; y: number; color?: string }[];
  width?: number;
  height?: number;
}

/** A log-log line chart (e.g. p99 latency against the offered rate), by hand like {@link cdfSvg}. */
export function xySvg(options: XyOptions): string {
  const { width, height, m, plotW, plotH } = frame(options, 100);
  const pts = options.series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  const range = (vs: number[], fallback: [number, number]): [number, number] => {
    const finite = vs.filter((v) => v > 0 && Number.isFinite(v));
    if (finite.length === 0) return fallback;
    return [
      10 ** Math.floor(Math.log10(Math.min(...finite))),
      10 ** Math.ceil(Math.log10(Math.max(...finite))),
    ];
  };
  const [xlo, xhi] = range(
    pts.map((p) => p.x),
    [10, 10_000],
  );
  const [ylo, yhi] = range([...pts.map((p) => p.y), ...(options.yMarkers ?? []).map((k) => k.y)], [1, 1000]);
  const x = (v: number): number =>
    m.left + ((Math.log10(Math.max(v, xlo)) - Math.log10(xlo)) / (Math.log10(xhi) - Math.log10(xlo))) * plotW;
  const y = (v: number): number =>
    m.top +
    (1 -
      (Math.log10(Math.min(Math.max(v, ylo), yhi)) - Math.log10(ylo)) / (Math.log10(yhi) - Math.log10(ylo))) *
      plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12" role="img">`,
    `<title>${esc(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${m.left}" y="22" font-size="15" font-weight="600" fill="#111">${esc(options.title)}</text>`,
  ];
  if (options.subtitle) parts.push(`<text x="${m.left}" y="40" fill="#555">${esc(options.subtitle)}</text>`);
  for (const t of logTicks(xlo, xhi)) {
    const xt = fmt(x(t));
    parts.push(
      `<line x1="${xt}" y1="${m.top}" x2="${xt}" y2="${m.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${xt}" y="${m.top + plotH + 16}" text-anchor="middle" fill="#444">${tickLabel(t)}</text>`,
    );
  }
  for (const t of logTicks(ylo, yhi)) {
    const yt = fmt(y(t));
    parts.push(
      `<line x1="${m.left}" y1="${yt}" x2="${m.left + plotW}" y2="${yt}" stroke="#efefef"/>`,
      `<text x="${m.left - 6}" y="${fmt(y(t) + 4)}" text-anchor="end" fill="#444">${tickLabel(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${m.left + plotW / 2}" y="${m.top + plotH + 34}" text-anchor="middle" fill="#222">${esc(options.xLabel)}</text>`,
    `<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(options.yLabel)}</text>`,
  );
  for (const k of options.yMarkers ?? []) {
    const ym = fmt(y(k.y));
    parts.push(
      ...marker(k, [String(m.left), ym, String(m.left + plotW), ym], [String(m.left + 4), fmt(y(k.y) - 4)]),
    );
  }
  for (const s of options.series) {
    const points = s.points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.y));
    if (points.length === 0) continue;
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${points.map((p) => `${fmt(x(p.x))},${fmt(y(p.y))}`).join(' ')}"/>`,
      ...points.map((p) => `<circle cx="${fmt(x(p.x))}" cy="${fmt(y(p.y))}" r="3" fill="${s.color}"/>`),
    );
  }
  let lx = m.left;
  let ly = height - 42;
  for (const s of options.series) {
    const w = 36 + s.label.length * 6.4;
    if (lx > m.left && lx + w > width - m.right) {
      lx = m.left;
      ly += 20;
    }
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 28}" y="${ly + 4}" fill="#222">${esc(s.label)}</text>`,
    );
    lx += w;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
