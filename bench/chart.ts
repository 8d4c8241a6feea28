import { percentile } from './stats.js';

/**
 * A latency-by-percentile chart (HdrHistogram style: the x axis stretches the tail, 90 → 99 → 99.9 %; the
 * y axis is logarithmic so a 0.5 ms median and a 50 ms tail both stay readable) as a self-contained SVG, so
 * the docs can show it without a plotting library.
 */
export interface ChartSeries {
  label: string;
  color: string;
  samples: readonly number[];
}

const WIDTH = 760;
const HEIGHT = 420;
const M = { left: 64, right: 170, top: 48, bottom: 56 };
const MAX_NINES = 3; // up to p99.9

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function latencyChartSvg(title: string, subtitle: string, series: readonly ChartSeries[]): string {
  const sorted = series.map((s) => ({ ...s, sorted: Float64Array.from(s.samples).sort() }));
  const top = Math.max(...sorted.map((s) => percentile(s.sorted, 99.9)));
  const bottom = Math.min(...sorted.map((s) => percentile(s.sorted, 0)));
  const yMax = 10 ** Math.ceil(Math.log10(top > 0 ? top : 1));
  const yMin = 10 ** Math.floor(Math.log10(bottom > 0 ? bottom : 0.1));
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const x = (p: number): number => M.left + (Math.min(MAX_NINES, Math.log10(1 / (1 - p / 100))) / MAX_NINES) * plotW;
  const y = (ms: number): number => {
    const clamped = Math.min(Math.max(ms, yMin), yMax);
    return M.top + plotH - (Math.log10(clamped / yMin) / Math.log10(yMax / yMin)) * plotH;
  };

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`);
  out.push(`<text x="${M.left}" y="38" fill="#555">${escape(subtitle)}</text>`);
  for (let decade = yMin; decade < yMax * 1.001; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const ms = decade * step;
      if (ms > yMax * 1.001) break;
      const major = step === 1;
      out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(ms).toFixed(1)}" y2="${y(ms).toFixed(1)}" stroke="${major ? '#d0d0d0' : '#eeeeee'}"/>`);
      out.push(`<text x="${M.left - 8}" y="${(y(ms) + 4).toFixed(1)}" text-anchor="end"${major ? '' : ' fill="#888"'}>${formatMs(ms)}</text>`);
    }
  }
  for (const p of [0, 50, 90, 99, 99.9]) {
    const px = x(p).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${M.top}" y2="${M.top + plotH}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px}" y="${M.top + plotH + 18}" text-anchor="middle">p${p}</text>`);
  }
  out.push(`<text x="${M.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle" fill="#555">percentile</text>`);
  out.push(`<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#555">latency (ms, log scale)</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);

  sorted.forEach((s, index) => {
    const points: string[] = [];
    for (let step = 0; step <= 300; step++) {
      const nines = (step / 300) * MAX_NINES;
      const p = 100 * (1 - 10 ** -nines);
      points.push(`${x(p).toFixed(1)},${y(percentile(s.sorted, p)).toFixed(1)}`);
    }
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.join(' ')}"/>`);
    const ly = M.top + 16 + index * 58;
    const lx = M.left + plotW + 14;
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/>`);
    out.push(`<text x="${lx + 24}" y="${ly}">${escape(s.label)}</text>`);
    const stats = [50, 90, 99].map((p) => `p${p} ${formatMs(percentile(s.sorted, p))}`).join('  ');
    out.push(`<text x="${lx + 24}" y="${ly + 16}" fill="#555" font-size="11">${escape(stats.split('  ').slice(0, 2).join('  '))}</text>`);
    out.push(`<text x="${lx + 24}" y="${ly + 30}" fill="#555" font-size="11">${escape(stats.split('  ')[2] ?? '')} ms</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function formatMs(ms: number): string {
  return ms >= 10 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1).replace(/\.0$/, '') : String(Number(ms.toPrecision(2)));
}
