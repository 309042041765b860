/**
 * A table's lag over the last hour as a small inline SVG, drawn on the server: the x axis is the
 * hour up to the page's time, the y axis from 0 to the highest lag in it (labelled). No script.
 */
import type { LagPoint } from '../temporal/lag-history.js';
import { text } from './dashboard-escape.js';

const WIDTH = 240;
const HEIGHT = 48;
const HOUR_MS = 3_600_000;

export function seconds(s: number): string {
  return s < 10 ? `${s.toFixed(1)} s` : s < 600 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`;
}

/** The chart, or a line saying there is no history (with why, for the page). */
export function lagChart(points: readonly LagPoint[], now: number, label: string): string {
  if (points.length === 0) return `<span class="no-history">no lag recorded in the last hour</span>`;
  const max = Math.max(...points.map((p) => p.seconds), 0.001);
  const x = (at: number) => Math.max(0, Math.min(WIDTH, ((at - (now - HOUR_MS)) / HOUR_MS) * WIDTH));
  const y = (s: number) => HEIGHT - 2 - (s / max) * (HEIGHT - 12);
  const xy = points.map((p) => `${x(p.at).toFixed(1)},${y(p.seconds).toFixed(1)}`);
  const line =
    points.length === 1
      ? `<circle cx="${xy[0]!.split(',')[0]}" cy="${xy[0]!.split(',')[1]}" r="2.5" />`
      : `<polyline points="${xy.join(' ')}" fill="none" stroke-width="1.5" />`;
  return [
    `<svg class="lag-chart" data-points="${points.length}" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${text(label)}">`,
    `<line x1="0" y1="${HEIGHT - 1}" x2="${WIDTH}" y2="${HEIGHT - 1}" class="axis" />`,
    `<text x="2" y="9" class="max">max ${seconds(max)}</text>`,
    `<text x="${WIDTH - 2}" y="9" text-anchor="end" class="span">last hour</text>`,
    line,
    `</svg>`,
  ].join('');
}
