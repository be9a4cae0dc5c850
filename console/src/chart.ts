// The overview's live chart: requests/s and refusals/s over the last minutes, as inline SVG polylines.
import { s } from './dom.js';

export interface Series {
  readonly label: string;
  readonly className: string;
  readonly values: readonly number[];
}

const W = 600;
const H = 160;
const PAD = 28;

/** `points` samples wide; the y axis runs from 0 to the largest value (at least 1). */
export function lineChart(title: string, series: readonly Series[], points: number): SVGElement {
  const max = Math.max(1, ...series.flatMap((one) => one.values));
  const x = (i: number) => PAD + ((W - PAD - 4) * i) / Math.max(1, points - 1);
  const y = (v: number) => H - PAD + 4 - ((H - PAD) * v) / max;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, class: 'chart' }, s('title', {}, title));
  for (const fraction of [0, 0.5, 1]) {
    svg.append(s('line', { x1: PAD, x2: W - 4, y1: y(max * fraction), y2: y(max * fraction), class: 'grid' }));
    svg.append(s('text', { x: PAD - 4, y: y(max * fraction) + 4, class: 'axis', 'text-anchor': 'end' }, formatRate(max * fraction)));
  }
  for (const one of series) {
    const offset = points - one.values.length;
    const coords = one.values.map((v, i) => `${x(i + offset).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    if (one.values.length > 0) svg.append(s('polyline', { points: coords, class: one.className }, s('title', {}, one.label)));
  }
  return svg;
}

export function formatRate(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2).replace(/\.?0+$/, '') || '0';
}
