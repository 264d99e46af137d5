// A dependency-free SVG line chart: requests per hour per endpoint, one panel per run.

export interface PlotSeries {
  name: string;
  color: string;
  values: ArrayLike<number>;
}

export interface PlotPanel {
  title: string;
  series: PlotSeries[];
  /** Hours to shade (e.g. an outage), inclusive. */
  shade?: { fromHour: number; toHour: number; label: string };
}

export interface PlotOptions {
  fromHour: number;
  toHour: number;
  /** Label of the x axis origin (fromHour), e.g. "renewal window opens". */
  originLabel: string;
  /** A horizontal reference line (e.g. the normal hourly mean), drawn in every panel. */
  reference?: { value: number; label: string };
}

const WIDTH = 960;
const PANEL_HEIGHT = 250;
const MARGIN = { left: 64, right: 16, top: 34, bottom: 40 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

export function requestsPerHourSvg(panels: readonly PlotPanel[], options: PlotOptions): string {
  const { fromHour, toHour } = options;
  const hours = toHour - fromHour + 1;
  let max = options.reference?.value ?? 1;
  for (const panel of panels) for (const s of panel.series) for (let h = fromHour; h <= toHour; h++) max = Math.max(max, s.values[h] ?? 0);
  const step = niceStep(max, 5);
  const yMax = Math.ceil(max / step) * step;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (h: number): number => MARGIN.left + ((h - fromHour) / Math.max(1, hours - 1)) * plotWidth;
  const height = PANEL_HEIGHT * panels.length;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
  ];
  panels.forEach((panel, p) => {
    const top = p * PANEL_HEIGHT + MARGIN.top;
    const y = (v: number): number => top + plotHeight - (v / yMax) * plotHeight;
    out.push(`<text x="${MARGIN.left}" y="${top - 14}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
    if (panel.shade) {
      const x0 = x(panel.shade.fromHour);
      const x1 = x(panel.shade.toHour + 1);
      out.push(`<rect x="${x0.toFixed(1)}" y="${top}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${plotHeight}" fill="#f4cccc"/>`);
      out.push(`<text x="${(x1 + 4).toFixed(1)}" y="${top + 12}" fill="#990000">${escapeXml(panel.shade.label)}</text>`);
    }
    for (let v = 0; v <= yMax; v += step) {
      out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#dddddd"/>`);
      out.push(`<text x="${MARGIN.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`);
    }
    for (let day = 0; day * 24 < hours; day += 7) {
      const xd = x(fromHour + day * 24);
      out.push(`<line x1="${xd.toFixed(1)}" x2="${xd.toFixed(1)}" y1="${top}" y2="${top + plotHeight}" stroke="#eeeeee"/>`);
      out.push(`<text x="${xd.toFixed(1)}" y="${top + plotHeight + 14}" text-anchor="middle">${day === 0 ? escapeXml(options.originLabel) : `+${day} d`}</text>`);
    }
    if (options.reference) {
      const yr = y(options.reference.value).toFixed(1);
      out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${yr}" y2="${yr}" stroke="#555555" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${WIDTH - MARGIN.right}" y="${(Number(yr) - 4).toFixed(1)}" text-anchor="end" fill="#555555">${escapeXml(options.reference.label)}</text>`);
    }
    out.push(`<text x="16" y="${(top + plotHeight / 2).toFixed(1)}" transform="rotate(-90 16 ${(top + plotHeight / 2).toFixed(1)})" text-anchor="middle">requests / hour</text>`);
    panel.series.forEach((s, i) => {
      const points: string[] = [];
      for (let h = fromHour; h <= toHour; h++) points.push(`${x(h).toFixed(1)},${y(s.values[h] ?? 0).toFixed(1)}`);
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1" points="${points.join(' ')}"/>`);
      const lx = MARGIN.left + 260 + i * 210;
      out.push(`<rect x="${lx}" y="${top - 24}" width="12" height="3" fill="${s.color}"/><text x="${lx + 16}" y="${top - 19}">${escapeXml(s.name)}</text>`);
    });
    out.push(`<rect x="${MARGIN.left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999999"/>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
