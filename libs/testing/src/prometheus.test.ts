import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sample, scrapeSample } from './prometheus';

const TEXT = [
  '# HELP socketworks_jobs_total Jobs.',
  '# TYPE socketworks_jobs_total counter',
  'socketworks_jobs_total{queue="events",outcome="completed"} 12',
  'socketworks_jobs_total{outcome="failed",queue="events"} 3',
  'socketworks_jobs_total_extra{queue="events"} 99',
  'socketworks_note{text="a \\"quoted\\", odd}"} 7',
  'socketworks_up 1',
].join('\n');

test('sample: by name and labels in any order; a longer name with the same start is another series', () => {
  assert.equal(sample(TEXT, 'socketworks_jobs_total', { queue: 'events', outcome: 'completed' }), 12);
  assert.equal(sample(TEXT, 'socketworks_jobs_total', { queue: 'events', outcome: 'failed' }), 3);
  assert.equal(sample(TEXT, 'socketworks_jobs_total', { outcome: 'retried' }), undefined);
  assert.equal(sample(TEXT, 'socketworks_jobs_total_extra'), 99);
  assert.equal(sample(TEXT, 'socketworks_up'), 1);
  assert.equal(sample(TEXT, 'socketworks_down'), undefined);
});

test('sample: label values are compared unescaped, and may hold quotes, commas and braces', () => {
  assert.equal(sample(TEXT, 'socketworks_note', { text: 'a "quoted", odd}' }), 7);
});

test('scrapeSample: 0 for a series not exported yet; an error page is an error, not a 0', async (t) => {
  let status = 200;
  const server = createServer((_req, res) => {
    res.statusCode = status;
    res.end(status === 200 ? TEXT : 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  assert.equal(await scrapeSample(url, 'socketworks_jobs_total', { outcome: 'completed' }), 12);
  assert.equal(await scrapeSample(url, 'socketworks_jobs_total', { outcome: 'retried' }), 0);
  status = 503;
  await assert.rejects(scrapeSample(url, 'socketworks_up'), /answered 503/);
});
