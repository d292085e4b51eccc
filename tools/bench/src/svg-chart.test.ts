import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeXml, formatTick, lineChart, logTicks, niceTicks, wrap } from './svg-chart';

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

const chart = () =>
  lineChart({
    title: 'Ack <latency> & more',
    subtitle: 'a subtitle',
    xLabel: 'seconds',
    yLabel: 'ms',
    yScale: 'log',
    series: [
      { name: 'A', points: [[0, 1], [1, 2], [2, null], [3, 4], [4, 5]] },
      { name: 'B', points: [[0, 10], [1, 20], [2, 30]], dashed: true, dots: true },
    ],
    markers: [{ x: 1.5, kind: 'refresh' }, { x: 3.5, kind: 'refresh' }, { x: 2, kind: 'drop' }],
    thresholds: [{ y: 100, label: 'limit' }],
  });

test('the chart is one SVG document with title, axis labels, a legend entry per series and marker kind', () => {
  const svg = chart();
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.equal(count(svg, '<svg'), 1);
  assert.match(svg, /<text class="title"[^>]*>Ack &lt;latency&gt; &amp; more<\/text>/);
  assert.match(svg, /class="x-label"[^>]*>seconds</);
  assert.match(svg, /class="y-label"[^>]*>ms \(log scale\)</);
  const legend = svg.slice(svg.indexOf('<g class="legend">'));
  for (const name of ['>A<', '>B<', '>refresh<', '>drop<']) assert.ok(legend.includes(name), `legend has ${name}`);
});

test('a null value splits a series into separate paths; dots and dashes are drawn as asked', () => {
  const svg = chart();
  const groups = svg.split('<g class="series"').slice(1).map((g) => g.slice(0, g.indexOf('</g>')));
  assert.equal(groups.length, 2);
  assert.equal(count(groups[0]!, '<path '), 2, 'A has a gap at x=2');
  assert.equal(count(groups[1]!, '<path '), 1);
  assert.equal(count(groups[1]!, '<circle '), 3);
  assert.ok(groups[1]!.includes('stroke-dasharray'));
  assert.ok(!groups[0]!.includes('stroke-dasharray'));
});

test('markers and thresholds are drawn once each, inside the plot', () => {
  const svg = chart();
  assert.equal(count(svg, 'class="marker"'), 3);
  assert.equal(count(svg, 'class="threshold"'), 1);
  assert.ok(svg.includes('>limit<'));
  assert.ok(!/NaN|undefined|Infinity/.test(svg), 'no broken numbers in the output');
});

test('a chart with no data still renders axes (no NaN)', () => {
  const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'empty', points: [] }] });
  assert.ok(!/NaN|Infinity/.test(svg));
  assert.ok(svg.includes('class="axes"'));
});

test('ticks: 1-2-5 steps covering the range, powers of ten on log axes, short labels', () => {
  assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0, 7, 6), [0, 2, 4, 6, 8]);
  assert.deepEqual(niceTicks(0, 7, 10), [0, 1, 2, 3, 4, 5, 6, 7]);
  const t = niceTicks(0, 8000, 6);
  assert.equal(t[0], 0);
  assert.ok(t[t.length - 1]! >= 8000);
  assert.deepEqual(logTicks(0.3, 2500), [0.1, 1, 10, 100, 1000, 10000]);
  assert.equal(formatTick(10000), '10k');
  assert.equal(formatTick(2500), '2500');
  assert.equal(formatTick(0.1), '0.1');
  assert.equal(escapeXml(`"a" & 'b'`), '&quot;a&quot; &amp; &#39;b&#39;');
  assert.deepEqual(wrap('one two three four', 9), ['one two', 'three', 'four']);
});
