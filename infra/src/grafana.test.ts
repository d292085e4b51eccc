// The Grafana dashboard: valid JSON Grafana can import, every query uses only metrics a service
// defines, and the panels an operator looks for are there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { definedMetrics, isExported, metricsIn, REPO_ROOT } from './metric-names';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Array<{ refId: string; expr: string; datasource?: { uid: string } }>;
}
const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/grafana/socketworks.json'), 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string }> };
};
const panels = dashboard.panels.filter((p) => p.type !== 'row');

test('the dashboard is importable: uid, schema, a Prometheus datasource variable, unique panel ids, panels inside the 24-column grid', () => {
  assert.equal(dashboard.uid, 'socketworks');
  assert.ok(dashboard.schemaVersion >= 36);
  assert.deepEqual(dashboard.templating.list.map((v) => [v.name, v.type, v.query]), [['datasource', 'datasource', 'prometheus']]);
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const panel of dashboard.panels) {
    assert.ok(panel.gridPos.x >= 0 && panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} fits the grid`);
  }
  for (const panel of panels) {
    assert.equal(panel.datasource?.uid, '${datasource}', `${panel.title} uses the datasource variable`);
    assert.ok(panel.targets && panel.targets.length > 0, `${panel.title} has queries`);
    const refIds = panel.targets.map((t) => t.refId);
    assert.equal(new Set(refIds).size, refIds.length, `${panel.title}: unique refIds`);
  }
});

test('every query uses only metrics a service defines', () => {
  const defined = definedMetrics();
  for (const panel of panels) {
    for (const target of panel.targets ?? []) {
      const used = metricsIn(target.expr);
      assert.ok(used.length > 0, `${panel.title}: ${target.expr} uses a Socketworks metric`);
      for (const metric of used) assert.ok(isExported(metric, defined), `${panel.title}: ${metric} is defined by no service`);
      assert.equal(target.expr.split('(').length, target.expr.split(')').length, `${panel.title}: balanced parentheses in ${target.expr}`);
    }
  }
});

test('the panels an operator looks for are there', () => {
  const find = (title: RegExp) => panels.find((p) => title.test(p.title));
  const exprs = (title: RegExp) => (find(title)?.targets ?? []).map((t) => t.expr).join('\n');
  assert.match(exprs(/^Ack latency p50 \/ p99$/), /histogram_quantile\(0\.5,.*socketworks_connector_ack_latency_seconds_bucket\{awaited="false"\}[\s\S]*histogram_quantile\(0\.99,.*socketworks_connector_ack_latency_seconds_bucket\{awaited="false"\}/);
  assert.match(exprs(/^Ack latency p50 \/ p99$/), /histogram_quantile\(0\.99,.*socketworks_connector_ack_latency_seconds_bucket\{awaited="true"\}/, "the acks that wait for a handler have a line of their own");
  assert.match(exprs(/^Ack latency p50 \/ p99$/), /histogram_quantile\(0\.99,.*socketworks_connector_enqueue_duration_seconds_bucket/, 'the Redis round trip next to the acks');
  assert.match(exprs(/^Ack latency p99$/), /socketworks_connector_ack_latency_seconds_bucket\{awaited="false"\}/);
  assert.match(exprs(/^Envelopes \/ s by type$/), /sum by \(type\) \(rate\(socketworks_connector_envelopes_total/);
  assert.match(exprs(/^Sockets per slot$/), /sum by \(slot\) \(socketworks_connector_sockets_open\)/);
  assert.match(exprs(/^Queue depth$/), /max by \(queue\) \(socketworks_queue_waiting\)/);
  assert.match(exprs(/^Oldest waiting job age$/), /socketworks_queue_oldest_waiting_age_seconds/);
  assert.match(exprs(/^Job outcomes/), /socketworks_worker_jobs_total/);
  assert.match(exprs(/^Failed jobs$/), /socketworks_queue_failed/);
});
