import { byTestId, setAttr, setText, svg } from '../dom.js';
import { formatClock, niceCeiling, parseInstant } from '../format.js';

/** One bar: the events received in the minute starting at `minute` (ISO). */
export interface MinutePoint {
  readonly minute: string;
  readonly events: number;
}

/** The events-per-minute bar chart. */
export interface ChartView {
  /** Shows these minutes, oldest first; the last is the current, partial one. */
  update(points: readonly MinutePoint[]): void;
}

/** The SVG's own coordinate space; CSS stretches it to the panel. */
const WIDTH = 600;
const HEIGHT = 160;
/** Gap between bars, in viewBox units. */
const GAP = 4;
/** Height of the bar of a minute without events, in viewBox units. */
const EMPTY_BAR = 1.5;

interface Bar {
  readonly rect: SVGRectElement;
  readonly title: SVGTitleElement;
}

/**
 * Binds `[data-testid="events-chart"]`: exactly one `rect` per minute
 * (gridlines are `line`s, so counting rects counts minutes), updated in
 * place. The y scale is a round number of at least 5 and the labels are
 * HTML beside the SVG, so text stays crisp however the SVG is stretched.
 */
export function createChartView(root: ParentNode): ChartView {
  const chart = byTestId<SVGSVGElement>(root, 'events-chart');
  chart.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  // Bars may stretch with the panel; gridlines keep a 1 px stroke through vector-effect.
  chart.setAttribute('preserveAspectRatio', 'none');
  for (const y of [0.5, HEIGHT / 2, HEIGHT - 0.5]) {
    chart.appendChild(svg('line', { x1: '0', x2: String(WIDTH), y1: String(y), y2: String(y), class: 'grid', 'vector-effect': 'non-scaling-stroke' }));
  }
  const bars = chart.appendChild(svg('g', { class: 'bars' }));
  const scaleTop = byTestId(root, 'chart-scale-top');
  const scaleMid = byTestId(root, 'chart-scale-mid');
  const peak = byTestId(root, 'chart-peak');
  const first = byTestId(root, 'chart-first-minute');
  const middle = byTestId(root, 'chart-mid-minute');
  const drawn: Bar[] = [];

  return {
    update(points) {
      const max = niceCeiling(Math.max(0, ...points.map((p) => p.events)), 10);
      resize(bars, drawn, points.length);
      const slot = WIDTH / Math.max(points.length, 1);
      points.forEach((point, i) => drawBar(drawn[i], point, i, slot, max, i === points.length - 1));
      setText(scaleTop, String(max));
      setText(scaleMid, String(max / 2));
      setText(peak, points.length === 0 ? 'no data yet' : `peak ${Math.max(...points.map((p) => p.events))}/min`);
      setText(first, clockOf(points[0]));
      setText(middle, clockOf(points[Math.floor(points.length / 2)]));
    },
  };
}

function clockOf(point: MinutePoint | undefined): string {
  const start = parseInstant(point?.minute);
  return start === undefined ? '' : formatClock(start);
}

/** Adds or removes bars so there is one per point; existing bars stay (and only change attributes). */
function resize(group: SVGGElement, drawn: Bar[], count: number): void {
  while (drawn.length < count) {
    const rect = svg('rect', { y: String(HEIGHT), height: '0', rx: '1.5' });
    const title = rect.appendChild(svg('title'));
    group.appendChild(rect);
    drawn.push({ rect, title });
  }
  for (const bar of drawn.splice(count)) bar.rect.remove();
}

function drawBar(bar: Bar | undefined, point: MinutePoint, index: number, slot: number, max: number, current: boolean): void {
  if (!bar) return;
  const events = Number.isFinite(point.events) ? Math.max(0, point.events) : 0;
  // An empty minute keeps a sliver of a bar, so the 30 slots read as a time axis from the start.
  const height = Math.max((Math.min(events, max) / max) * HEIGHT, EMPTY_BAR);
  setAttr(bar.rect, 'x', (index * slot + GAP / 2).toFixed(2));
  setAttr(bar.rect, 'width', Math.max(slot - GAP, 1).toFixed(2));
  setAttr(bar.rect, 'y', (HEIGHT - height).toFixed(2));
  setAttr(bar.rect, 'height', height.toFixed(2));
  setAttr(bar.rect, 'class', [current ? 'current' : '', events === 0 ? 'empty' : ''].join(' ').trim() || null);
  setAttr(bar.rect, 'data-minute', point.minute);
  setAttr(bar.rect, 'data-events', String(events));
  const start = parseInstant(point.minute);
  setText(bar.title, `${start === undefined ? '' : `${formatClock(start)} · `}${events} event${events === 1 ? '' : 's'}${current ? ' so far' : ''}`);
}
