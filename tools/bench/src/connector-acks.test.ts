import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ackSummaries, boundText, connectorAcksText, enqueueSummary, parseAckHistogram, sumHistograms } from './connector-acks';

const metrics = (buckets: Record<string, [number, number, number, number]>) =>
  [
    '# HELP socketworks_connector_ack_latency_seconds From frame receipt to ack written on the socket.',
    '# TYPE socketworks_connector_ack_latency_seconds histogram',
    ...Object.entries(buckets).flatMap(([labels, [le1ms, le5ms, le250ms, inf]]) => [
      `socketworks_connector_ack_latency_seconds_bucket{le="0.001",${labels}} ${le1ms}`,
      `socketworks_connector_ack_latency_seconds_bucket{le="0.005",${labels}} ${le5ms}`,
      `socketworks_connector_ack_latency_seconds_bucket{le="0.25",${labels}} ${le250ms}`,
      `socketworks_connector_ack_latency_seconds_bucket{le="+Inf",${labels}} ${inf}`,
      `socketworks_connector_ack_latency_seconds_count{${labels}} ${inf}`,
    ]),
    'socketworks_connector_acks_total{type="events_api"} 999',
  ].join('\n');

test("the connectors' histograms are summed over types and processes, per awaited or not", () => {
  const one = parseAckHistogram(metrics({ 'type="events_api",awaited="false"': [10, 20, 20, 20], 'type="interactive",awaited="false"': [1, 2, 2, 2], 'type="slash_commands",awaited="true"': [0, 0, 3, 4] }));
  const two = parseAckHistogram(metrics({ 'type="events_api",awaited="false"': [5, 5, 5, 5] }));
  const sum = sumHistograms([one, two]);
  assert.deepEqual([...sum.get('false')!], [[0.001, 16], [0.005, 27], [0.25, 27], [Infinity, 27]]);
  assert.deepEqual([...sum.get('true')!], [[0.001, 0], [0.005, 0], [0.25, 3], [Infinity, 4]]);
});

test('only what was observed between the two readings counts; quantiles are the upper edge of their bucket', () => {
  const before = parseAckHistogram(metrics({ 'type="events_api",awaited="false"': [100, 100, 100, 100], 'type="slash_commands",awaited="true"': [0, 0, 10, 10] }));
  // 200 more after-enqueue acks: 150 within 1 ms, 198 within 5 ms, all within 250 ms; 4 more
  // awaited ones, one of them past the last finite bucket.
  const after = parseAckHistogram(metrics({ 'type="events_api",awaited="false"': [250, 298, 300, 300], 'type="slash_commands",awaited="true"': [0, 0, 13, 14] }));
  assert.deepEqual(ackSummaries(before, after), [
    { awaited: false, count: 200, p50LeMs: 1, p99LeMs: 5 },
    { awaited: true, count: 4, p50LeMs: 250, p99LeMs: null },
  ]);
  assert.equal(
    connectorAcksText(ackSummaries(before, after)),
    "after the enqueue p50 ≤ 1 ms, p99 ≤ 5 ms (200 acks); waiting for a handler's ack() p50 ≤ 250 ms, p99 > 2.5 s (4 acks)",
  );
  assert.deepEqual(ackSummaries(after, after), [], 'nothing observed in between: no figures');
  assert.equal(connectorAcksText(undefined), '');
});

test('bucket edges are written as they are: fractions kept, thousands grouped', () => {
  assert.equal(boundText(0.25), '≤ 0.25 ms');
  assert.equal(boundText(0.0025 * 1000), '≤ 2.5 ms');
  assert.equal(boundText(2500), '≤ 2,500 ms');
  assert.equal(boundText(null), '> 2.5 s');
});

test('the enqueue round trip is read from its own histogram, every queue summed, and kept apart from the acks', () => {
  const enqueue = (events: [number, number, number, number], sync: [number, number, number, number]) =>
    Object.entries({ events, sync })
      .flatMap(([queue, [le1ms, le5ms, le250ms, inf]]) => [
        `socketworks_connector_enqueue_duration_seconds_bucket{le="0.001",queue="${queue}"} ${le1ms}`,
        `socketworks_connector_enqueue_duration_seconds_bucket{le="0.005",queue="${queue}"} ${le5ms}`,
        `socketworks_connector_enqueue_duration_seconds_bucket{le="0.25",queue="${queue}"} ${le250ms}`,
        `socketworks_connector_enqueue_duration_seconds_bucket{le="+Inf",queue="${queue}"} ${inf}`,
        `socketworks_connector_enqueue_duration_seconds_sum{queue="${queue}"} 0.5`,
      ])
      .join('\n');
  const acks = metrics({ 'type="events_api",awaited="false"': [0, 0, 0, 0] });
  const before = parseAckHistogram(`${acks}\n${enqueue([0, 0, 0, 0], [0, 0, 0, 0])}`);
  // 100 enqueues: 60 within 1 ms, 99 within 5 ms, all within 250 ms.
  const after = parseAckHistogram(`${metrics({ 'type="events_api",awaited="false"': [60, 99, 100, 100] })}\n${enqueue([55, 90, 90, 90], [5, 9, 10, 10])}`);
  assert.deepEqual(enqueueSummary(before, after), { count: 100, p50LeMs: 1, p99LeMs: 5 });
  assert.deepEqual(ackSummaries(before, after), [{ awaited: false, count: 100, p50LeMs: 1, p99LeMs: 5 }], 'the enqueue series is not an ack series');
  assert.equal(enqueueSummary(after, after), undefined);
  assert.equal(
    connectorAcksText(ackSummaries(before, after), enqueueSummary(before, after)),
    'after the enqueue p50 ≤ 1 ms, p99 ≤ 5 ms (100 acks); the enqueue round trip inside them (job sent → Redis confirmed it) p50 ≤ 1 ms, p99 ≤ 5 ms (100 enqueues)',
  );
});
