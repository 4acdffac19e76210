// @ts-check
/* exported roundTop, drawChart */
// The live page's small charts: inline SVG drawn here, with no chart library to download. The SVG's coordinates are
// stretched to whatever box the page gives it (preserveAspectRatio none), with strokes that keep their width, so a
// chart fills its card at any screen width; its labels are HTML beside it, which stretching would distort.

const SVG = 'http://www.w3.org/2000/svg';
const CHART_WIDTH = 300;
const CHART_HEIGHT = 100;
// Room above the top and below the baseline, so that a line at either is seen beside the gridline there.
const CHART_MARGIN = 3;

/** The smallest of 1, 2, 5, 10, 20, 50, … at or above `value`: a chart's top that reads as a round number. */
function roundTop(/** @type {number} */ value) {
  for (let magnitude = 1; ; magnitude *= 10)
    for (const step of [1, 2, 5]) if (step * magnitude >= value) return step * magnitude;
}

/**
 * @param {string} name
 * @param {Record<string, string>} attributes
 */
function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

/**
 * The path through a series' steps (oldest first, spread over the width), broken where a step is null; with
 * `area`, closed down to the baseline under each unbroken run. A step alone between gaps is drawn as a short level
 * line over the half step before it, so that it shows.
 * @param {(number | null)[]} steps
 * @param {number} top
 * @param {boolean} area
 */
function pathOf(steps, top, area) {
  const x = (/** @type {number} */ i) => ((i * CHART_WIDTH) / Math.max(steps.length - 1, 1)).toFixed(1);
  const y = (/** @type {number} */ v) =>
    (CHART_HEIGHT - CHART_MARGIN - (Math.min(v, top) * (CHART_HEIGHT - 2 * CHART_MARGIN)) / top).toFixed(1);
  let d = '';
  /** @type {[number, number][]} */
  let run = [];
  const close = () => {
    if (run.length === 1) run.unshift([run[0][0] > 0 ? run[0][0] - 0.5 : 0.5, run[0][1]]);
    run.sort((a, b) => a[0] - b[0]);
    run.forEach(([i, v], n) => (d += (n ? 'L' : 'M') + x(i) + ',' + y(v)));
    if (area && run.length) d += `L${x(run[run.length - 1][0])},${y(0)}L${x(run[0][0])},${y(0)}Z`;
    run = [];
  };
  steps.forEach((value, i) => (value === null ? close() : run.push([i, value])));
  close();
  return d;
}

/**
 * Draws series into `svg`, over a shared scale from 0 to `top`: a line each (class `line` and the series' own), the
 * first filled beneath when `filled`, and faint lines at the top and half way up.
 * @param {SVGSVGElement} svg
 * @param {{ className: string, steps: (number | null)[] }[]} series
 * @param {number} top
 * @param {boolean} filled
 */
function drawChart(svg, series, top, filled) {
  svg.setAttribute('viewBox', `0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const grid = [CHART_MARGIN, CHART_HEIGHT / 2, CHART_HEIGHT - CHART_MARGIN].map((y) =>
    svgElement('line', {
      class: y === CHART_HEIGHT - CHART_MARGIN ? 'axis' : 'grid',
      x1: '0',
      x2: String(CHART_WIDTH),
      y1: String(y),
      y2: String(y),
      'vector-effect': 'non-scaling-stroke',
    }),
  );
  const shapes = series.flatMap(({ className, steps }, i) => {
    const line = svgElement('path', {
      class: 'line ' + className,
      d: pathOf(steps, top, false),
      'vector-effect': 'non-scaling-stroke',
    });
    if (!(filled && i === 0)) return [line];
    return [svgElement('path', { class: 'area ' + className, d: pathOf(steps, top, true) }), line];
  });
  svg.replaceChildren(...grid, ...shapes);
}
