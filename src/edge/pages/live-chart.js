// @ts-check
/* exported roundTop, drawChart */
// The live page's small charts: inline SVG drawn here, with no chart library to download. The SVG's coordinates are
// stretched to whatever box the page gives it (preserveAspectRatio none), with strokes that keep their width, so a
// chart fills its card at any screen width; its labels are HTML beside it, which stretching would distort.

const SVG = 'http://www.w3.org/2000/svg';
const CHART_WIDTH = 300;
const CHART_HEIGHT = 100;

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
 * `area`, closed down to the baseline under each unbroken run.
 * @param {(number | null)[]} steps
 * @param {number} top
 * @param {boolean} area
 */
function pathOf(steps, top, area) {
  const x = (/** @type {number} */ i) => ((i * CHART_WIDTH) / Math.max(steps.length - 1, 1)).toFixed(1);
  const y = (/** @type {number} */ v) => (CHART_HEIGHT - (Math.min(v, top) * CHART_HEIGHT) / top).toFixed(1);
  let d = '';
  let runStart = -1;
  const close = (/** @type {number} */ end) => {
    if (area && runStart >= 0) d += `L${x(end)},${CHART_HEIGHT}L${x(runStart)},${CHART_HEIGHT}Z`;
    runStart = -1;
  };
  steps.forEach((value, i) => {
    if (value === null) return close(i - 1);
    d += `${runStart < 0 ? 'M' : 'L'}${x(i)},${y(value)}`;
    if (runStart < 0) runStart = i;
  });
  close(steps.length - 1);
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
  const grid = [0, CHART_HEIGHT / 2, CHART_HEIGHT].map((y) =>
    svgElement('line', {
      class: y === CHART_HEIGHT ? 'axis' : 'grid',
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
