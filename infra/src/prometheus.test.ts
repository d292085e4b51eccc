// The alert rules: promtool (Debian package `prometheus`) loads them, every expression uses only
// metrics the services define, every rule tells the on-call engineer what to do, and each alert's
// expression fires on the data it is about and stays quiet otherwise (promtool's unit tests, built
// here from the rules file so the two never drift).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { definedMetrics, isExported, metricsIn, REPO_ROOT } from './metric-names';

const RULES = join(REPO_ROOT, 'infra/prometheus/alerts.yml');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups;
const rules = groups.flatMap((g) => g.rules);

function promtool(): string {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
  if (!found || !existsSync(found)) {
    throw new Error('promtool is not installed: the alert-rule tests need it. Install it with `apt-get update && apt-get install -y prometheus` (Debian ships promtool in that package).');
  }
  return found;
}

test('promtool loads every rule', () => {
  const out = execFileSync(promtool(), ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test('the rules cover what the on-call engineer must hear about', () => {
  const exprs: Record<string, string> = Object.fromEntries(rules.map((r) => [r.alert ?? '', r.expr]));
  const byMetric = (metric: string) => Object.values(exprs).some((e) => e.includes(metric));
  for (const metric of [
    'socketworks_connector_sockets_open',
    'socketworks_connector_hello_num_connections',
    'socketworks_connector_ack_latency_seconds_bucket',
    'socketworks_queue_failed',
    'socketworks_queue_oldest_waiting_age_seconds',
    'socketworks_redis_maxmemory_policy_noeviction',
  ]) {
    assert.ok(byMetric(metric), `a rule watches ${metric}`);
  }
  assert.match(exprs.SocketworksAckLatencyHigh ?? '', /histogram_quantile\(0\.99,.*\) > 1$/);
  assert.match(exprs.SocketworksOldestWaitingJobTooOld ?? '', /> 60$/);
  assert.equal(rules.find((r) => r.alert === 'SocketworksNoSocketOpen')?.for, '2m');
});

test('every rule has a severity, a summary, a description and a runbook that says what to do', () => {
  const names = new Set<string>();
  for (const rule of rules) {
    assert.ok(rule.alert, 'alerting rules only');
    assert.ok(!names.has(rule.alert), `${rule.alert} is unique`);
    names.add(rule.alert);
    assert.match(rule.alert, /^Socketworks[A-Z][A-Za-z]+$/);
    assert.ok(rule.for && /^\d+[smh]$/.test(rule.for), `${rule.alert} waits before firing`);
    assert.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${rule.alert} severity`);
    for (const key of ['summary', 'description', 'runbook']) assert.ok((rule.annotations?.[key] ?? '').length > 20, `${rule.alert} ${key}`);
    assert.match(rule.annotations!.runbook!, /Means:.*Do:/s, `${rule.alert} runbook says what it means and what to do`);
  }
});

test('every expression uses only metrics a service defines', () => {
  const defined = definedMetrics();
  for (const rule of rules) {
    const used = metricsIn(rule.expr);
    assert.ok(used.length > 0, `${rule.alert} uses a Socketworks metric`);
    for (const metric of used) assert.ok(isExported(metric, defined), `${rule.alert}: ${metric} is defined by no service`);
  }
});

/** One promtool case: input series, then at `at` the expression fires for exactly `fires` (label sets by `by`). */
interface Case {
  series: Record<string, string>;
  at: string;
  fires: string[];
}
/** Cases per alert: each alert fires on its data and stays quiet on healthy data. */
const CASES: Record<string, { by?: string; cases: Case[] }> = {
  SocketworksNoSocketOpen: {
    cases: [
      { series: { 'socketworks_connector_sockets_open{slot="0",pod="a"}': '1 1 0 0 0' }, at: '3m', fires: ['{}'] },
      { series: { 'socketworks_connector_sockets_open{slot="0",pod="a"}': '1 1 1 1 1', 'socketworks_connector_sockets_open{slot="1",pod="a"}': '0x4' }, at: '3m', fires: [] },
      { series: { 'up{job="other"}': '1x4' }, at: '3m', fires: ['{}'] },
    ],
  },
  SocketworksExtraSocketsDeferred: {
    cases: [
      { series: { 'socketworks_connector_extra_sockets_deferred_total{kind="refresh",pod="a"}': '0+4x20' }, at: '15m', fires: ['{}'] },
      // A wait that ended (a burst, then nothing for longer than the window): quiet.
      { series: { 'socketworks_connector_extra_sockets_deferred_total{kind="takeover",pod="a"}': '0 3 6 6 6 6 6 6 6 6 6 6 6 6 6 6' }, at: '15m', fires: [] },
    ],
  },
  SocketworksSlackCountsMoreSocketsThanHeld: {
    cases: [
      { series: { 'socketworks_connector_hello_num_connections{pod="a"}': '5x4', 'socketworks_connector_sockets_open{slot="0",pod="a"}': '1x4', 'socketworks_connector_sockets_open{slot="1",pod="b"}': '1x4' }, at: '3m', fires: ['{}'] },
      { series: { 'socketworks_connector_hello_num_connections{pod="a"}': '2x4', 'socketworks_connector_sockets_open{slot="0",pod="a"}': '1x4', 'socketworks_connector_sockets_open{slot="1",pod="b"}': '1x4' }, at: '3m', fires: [] },
    ],
  },
  SocketworksAckLatencyHigh: {
    cases: [
      {
        series: {
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="0.5"}': '0x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="1"}': '0x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="2.5"}': '0+10x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="+Inf"}': '0+10x10',
        },
        at: '8m',
        fires: ['{}'],
      },
      {
        series: {
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="0.005"}': '0+10x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="1"}': '0+10x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="+Inf"}': '0+10x10',
        },
        at: '8m',
        fires: [],
      },
      {
        // Slash commands waiting 1–2.5 s for their handlers' ack() are the sync lane's alert, not this one.
        series: {
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="0.005"}': '0+10x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="1"}': '0+10x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="events_api",awaited="false",le="+Inf"}': '0+10x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="slash_commands",awaited="true",le="1"}': '0x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="slash_commands",awaited="true",le="2.5"}': '0+50x10',
          'socketworks_connector_ack_latency_seconds_bucket{type="slash_commands",awaited="true",le="+Inf"}': '0+50x10',
        },
        at: '8m',
        fires: [],
      },
    ],
  },
  SocketworksSyncAnswersLate: {
    cases: [
      { series: { 'socketworks_connector_sync_answers_total{outcome="in_time"}': '0+90x20', 'socketworks_connector_sync_answers_total{outcome="late"}': '0+10x20' }, at: '16m', fires: ['{}'] },
      { series: { 'socketworks_connector_sync_answers_total{outcome="in_time"}': '0+99x20', 'socketworks_connector_sync_answers_total{outcome="late"}': '0+1x20' }, at: '16m', fires: [] },
    ],
  },
  SocketworksEnqueueFailures: {
    cases: [
      { series: { 'socketworks_connector_enqueue_failures_total{type="events_api"}': '0+30x10' }, at: '8m', fires: ['{}'] },
      { series: { 'socketworks_connector_enqueue_failures_total{type="events_api"}': '7x10' }, at: '8m', fires: [] },
    ],
  },
  SocketworksFailedJobsGrowing: {
    by: 'queue',
    cases: [
      { series: { 'socketworks_queue_failed{queue="events"}': '0+1x20', 'socketworks_queue_failed{queue="commands"}': '5x20' }, at: '16m', fires: ['{queue="events"}'] },
      // Retried (the set shrank): not an alert.
      { series: { 'socketworks_queue_failed{queue="events"}': '20-1x20' }, at: '16m', fires: [] },
    ],
  },
  SocketworksJobsFailing: {
    by: 'queue',
    cases: [
      {
        series: { 'socketworks_worker_jobs_total{queue="interactive",outcome="failed"}': '0+60x10', 'socketworks_worker_jobs_total{queue="events",outcome="completed"}': '0+6000x10' },
        at: '8m',
        fires: ['{queue="interactive"}'],
      },
    ],
  },
  SocketworksOldestWaitingJobTooOld: {
    by: 'queue',
    cases: [
      {
        series: { 'socketworks_queue_oldest_waiting_age_seconds{queue="interactive",pod="d1"}': '120x4', 'socketworks_queue_oldest_waiting_age_seconds{queue="events",pod="d1"}': '5x4' },
        at: '3m',
        fires: ['{queue="interactive"}'],
      },
    ],
  },
  SocketworksQueueMetricsMissing: {
    cases: [
      { series: { 'up{job="dashboard"}': '0x4' }, at: '3m', fires: ['{}'] },
      { series: { 'socketworks_queue_waiting{queue="events"}': '0x4' }, at: '3m', fires: [] },
    ],
  },
  SocketworksRedisNotNoeviction: {
    cases: [
      { series: { 'socketworks_redis_maxmemory_policy_noeviction{maxmemory_policy="allkeys-lru"}': '0x4' }, at: '3m', fires: ['{}'] },
      { series: { 'socketworks_redis_maxmemory_policy_noeviction{maxmemory_policy="noeviction"}': '1x4' }, at: '3m', fires: [] },
    ],
  },
  SocketworksDashboardCannotReadRedis: {
    cases: [
      { series: { 'socketworks_dashboard_redis_up{pod="d1"}': '1 0 0 0' }, at: '3m', fires: ['{}'] },
      { series: { 'socketworks_dashboard_redis_up{pod="d1"}': '1x4' }, at: '3m', fires: [] },
    ],
  },
  SocketworksDashboardLoginsThrottled: {
    cases: [
      { series: { 'socketworks_dashboard_refusals_total{reason="throttled"}': '0 0 0 4 9 9 9' }, at: '6m', fires: ['{}'] },
      // Refusals of other kinds, and throttling that ended more than 10 minutes ago: quiet.
      { series: { 'socketworks_dashboard_refusals_total{reason="route"}': '0+5x20', 'socketworks_dashboard_refusals_total{reason="throttled"}': '0 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3' }, at: '14m', fires: [] },
    ],
  },
};

test('each alert fires on the data it is about and stays quiet on healthy data (promtool test rules)', () => {
  for (const rule of rules) assert.ok(CASES[rule.alert!], `${rule.alert} has promtool cases here`);
  for (const name of Object.keys(CASES)) assert.ok(rules.some((r) => r.alert === name), `the cases of ${name} have a rule in alerts.yml`);
  const tests = rules.flatMap((rule) => {
    const spec = CASES[rule.alert!]!;
    const expr = `count${spec.by ? ` by (${spec.by})` : ''} (${rule.expr})`;
    return spec.cases.map((c) => ({
      interval: '1m',
      input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
      promql_expr_test: [{ expr, eval_time: c.at, exp_samples: c.fires.map((labels) => ({ labels, value: 1 })) }],
    }));
  });
  const dir = mkdtempSync(join(tmpdir(), 'socketworks-promtool-'));
  try {
    const file = join(dir, 'alerts.test.yml');
    writeFileSync(file, stringify({ rule_files: [RULES], evaluation_interval: '1m', tests }));
    const run = spawnSync(promtool(), ['test', 'rules', file], { encoding: 'utf8' });
    assert.equal(run.status, 0, `promtool test rules failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /SUCCESS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
