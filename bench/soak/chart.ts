/**
 * The soak over time as one self-contained SVG (no plotting library): per phase, login latency p50 / p99 per
 * second (log scale) with the seconds that had refused or lost answers shaded, the faults as dashed lines, and
 * below it each replica's RSS.
 */
export interface PhaseSeries {
  title: string;
  /** One entry per second of load. */
  seconds: { p50: number; p99: number; refusedShare: number; lostShare: number }[];
  events: { second: number; label: string }[];
  /** RSS in MB per replica, sampled at `second`. */
  rss: { label: string; color: string; points: { second: number; mb: number }[] }[];
}

const WIDTH = 760;
const LATENCY_H = 170;
const RSS_H = 80;
const GAP = 62;
const M = { left: 64, right: 130, top: 34 };
const PANEL_H = LATENCY_H + 18 + RSS_H + GAP;

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function soakChartSvg(title: string, subtitle: string, phases: readonly PhaseSeries[]): string {
  const height = M.top + 20 + phases.length * PANEL_H;
  const plotW = WIDTH - M.left - M.right;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`);
  out.push('<rect width="100%" height="100%" fill="#ffffff"/>');
  out.push(`<text x="${M.left}" y="20" font-size="15" font-weight="bold">${escape(title)}</text>`);
  out.push(`<text x="${M.left}" y="36" fill="#555">${escape(subtitle)}</text>`);

  const allLatencies = phases.flatMap((p) => p.seconds.flatMap((s) => [s.p50, s.p99])).filter((v) => v > 0);
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(1, ...allLatencies)));
  const yMin = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(yMax / 10, ...allLatencies))));
  const rssMax = Math.ceil(Math.max(50, ...phases.flatMap((p) => p.rss.flatMap((r) => r.points.map((pt) => pt.mb)))) / 50) * 50;

  phases.forEach((phase, index) => {
    const top = M.top + 30 + index * PANEL_H;
    const length = Math.max(1, phase.seconds.length);
    const x = (second: number): number => M.left + (second / length) * plotW;
    const y = (ms: number): number => top + LATENCY_H - (Math.log10(Math.min(Math.max(ms, yMin), yMax) / yMin) / Math.log10(yMax / yMin)) * LATENCY_H;
    out.push(`<text x="${M.left}" y="${top - 8}" font-weight="bold">${escape(phase.title)}</text>`);
    // Seconds with refused (orange) or lost (red) answers, shaded by their share of that second's answers.
    phase.seconds.forEach((s, second) => {
      const w = (plotW / length).toFixed(1);
      if (s.refusedShare > 0) out.push(`<rect x="${x(second).toFixed(1)}" y="${top}" width="${w}" height="${LATENCY_H}" fill="#f0a030" fill-opacity="${(0.15 + 0.6 * s.refusedShare).toFixed(2)}"/>`);
      if (s.lostShare > 0) out.push(`<rect x="${x(second).toFixed(1)}" y="${top}" width="${w}" height="${LATENCY_H}" fill="#d62728" fill-opacity="${(0.3 + 0.7 * s.lostShare).toFixed(2)}"/>`);
    });
    for (let decade = yMin; decade <= yMax * 1.001; decade *= 10) {
      out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(decade).toFixed(1)}" y2="${y(decade).toFixed(1)}" stroke="#dddddd"/>`);
      out.push(`<text x="${M.left - 8}" y="${(y(decade) + 4).toFixed(1)}" text-anchor="end">${formatMs(decade)}</text>`);
    }
    out.push(`<text transform="translate(16 ${top + LATENCY_H / 2}) rotate(-90)" text-anchor="middle" fill="#555">latency (ms)</text>`);
    out.push(`<rect x="${M.left}" y="${top}" width="${plotW}" height="${LATENCY_H}" fill="none" stroke="#999"/>`);
    const line = (pick: (s: PhaseSeries['seconds'][number]) => number, color: string): void => {
      const points = phase.seconds.map((s, second) => (pick(s) > 0 ? `${x(second + 0.5).toFixed(1)},${y(pick(s)).toFixed(1)}` : '')).filter(Boolean);
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`);
    };
    line((s) => s.p99, '#9467bd');
    line((s) => s.p50, '#1f77b4');
    const legend = (row: number, color: string, label: string, box = false): void => {
      const lx = M.left + plotW + 14;
      const ly = top + 14 + row * 18;
      out.push(box ? `<rect x="${lx}" y="${ly - 10}" width="18" height="10" fill="${color}" fill-opacity="0.6"/>` : `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/>`);
      out.push(`<text x="${lx + 24}" y="${ly}">${escape(label)}</text>`);
    };
    legend(0, '#1f77b4', 'p50');
    legend(1, '#9467bd', 'p99');
    legend(2, '#f0a030', 'refused', true);
    legend(3, '#d62728', 'lost', true);

    const rssTop = top + LATENCY_H + 18;
    const ry = (mb: number): number => rssTop + RSS_H - (mb / rssMax) * RSS_H;
    out.push(`<rect x="${M.left}" y="${rssTop}" width="${plotW}" height="${RSS_H}" fill="none" stroke="#999"/>`);
    for (const mb of [0, rssMax / 2, rssMax]) {
      out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${ry(mb).toFixed(1)}" y2="${ry(mb).toFixed(1)}" stroke="#eeeeee"/>`);
      out.push(`<text x="${M.left - 8}" y="${(ry(mb) + 4).toFixed(1)}" text-anchor="end">${mb}</text>`);
    }
    out.push(`<text transform="translate(16 ${rssTop + RSS_H / 2}) rotate(-90)" text-anchor="middle" fill="#555">RSS (MB)</text>`);
    phase.rss.forEach((series, row) => {
      out.push(`<polyline fill="none" stroke="${series.color}" stroke-width="2" points="${series.points.filter((pt) => pt.second >= 0 && pt.second <= length).map((pt) => `${x(pt.second).toFixed(1)},${ry(pt.mb).toFixed(1)}`).join(' ')}"/>`);
      const lx = M.left + plotW + 14;
      const ly = rssTop + 14 + row * 18;
      out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${series.color}" stroke-width="3"/>`);
      out.push(`<text x="${lx + 24}" y="${ly}">${escape(series.label)}</text>`);
    });

    for (const event of phase.events) {
      const ex = x(event.second).toFixed(1);
      out.push(`<line x1="${ex}" x2="${ex}" y1="${top}" y2="${rssTop + RSS_H}" stroke="#333" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${(Number(ex) + 3).toFixed(1)}" y="${top + 12}" fill="#333" font-size="11">${escape(event.label)}</text>`);
    }
    for (let second = 0; second <= length; second += length > 30 ? 10 : 5) {
      out.push(`<text x="${x(second).toFixed(1)}" y="${rssTop + RSS_H + 16}" text-anchor="middle" fill="#555">${second} s</text>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function formatMs(ms: number): string {
  return ms >= 1 ? ms.toFixed(0) : String(Number(ms.toPrecision(1)));
}
