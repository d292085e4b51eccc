// BullMQ on a real 3-master Redis Cluster through the product's own connection and queue code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Worker } from 'bullmq';
import { bullPrefix } from '@socketworks/protocol';
import { startPrivateCluster, waitFor, type PrivateCluster } from '@socketworks/testing';
import { createLogger } from './logger';
import { checkRedis, createRedisConnection } from './redis';
import { createQueues } from './queues';

const logger = createLogger({ name: 't', level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
let cluster: PrivateCluster;

before(async () => {
  cluster = await startPrivateCluster();
});
after(async () => {
  await cluster?.stop();
});

test('queues on a cluster: every queue key shares the prefix hash tag, jobs flow, ids dedupe', { timeout: 30000 }, async () => {
  const producer = createRedisConnection(cluster.url, { role: 'producer', name: 'p', logger, cluster: true });
  const blocking = createRedisConnection(cluster.url, { role: 'blocking', name: 'b', logger, cluster: true });
  const queues = createQueues(producer, { prefix: 'sw-cluster' });
  const seen: string[] = [];
  const worker = new Worker(
    'events',
    async (job) => {
      seen.push(String(job.id));
    },
    { connection: blocking, prefix: bullPrefix('sw-cluster'), concurrency: 4 },
  );
  // Logged, not thrown: a cluster still spreading its slot map can answer CLUSTERDOWN for a moment,
  // and BullMQ's worker retries; what the test judges is that every job ran exactly once.
  worker.on('error', (err) => process.stderr.write(`worker error (retried): ${err.message}\n`));
  try {
    await waitFor(() => producer.status === 'ready', { message: 'the cluster connection' });
    const facts = await checkRedis(producer, logger);
    assert.match(facts.version, /^\d+\./);
    const added: string[] = [];
    for (let i = 0; i < 50; i += 1) added.push(String((await queues.events.add('events_api', { i }, { jobId: `ev-E${i}` })).id));
    // The same job id again (Slack redelivering an event): BullMQ keeps the existing job.
    const duplicate = await queues.events.add('events_api', { i: 0, redelivered: true }, { jobId: 'ev-E0' });
    assert.equal(duplicate.id, 'ev-E0');
    // Wait for the queue to drain, not for 50 runs: a second run of ev-E0 would come after the 50th.
    await waitFor(
      async () => {
        const counts = await queues.events.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed');
        return counts.waiting === 0 && counts.active === 0 && counts.delayed === 0 && counts.prioritized === 0 && counts.completed === 50;
      },
      { timeoutMs: 15000, message: '50 jobs completed on the cluster and nothing left to run' },
    );
    assert.equal(seen.length, 50, `each job id ran exactly once (runs: ${seen.length})`);
    assert.deepEqual([...seen].sort(), [...added].sort());
    const stored = await queues.events.getJob('ev-E0');
    assert.deepEqual(stored?.data, { i: 0 }, 'the duplicate add did not replace the first job');
    // All of a queue's keys live in the slot of its hash tag, on one master.
    const slots = new Set<number>();
    for (const node of producer.nodes('master')) {
      const keys = await node.keys('{sw-cluster}*');
      for (const key of keys) slots.add(Number(await node.call('CLUSTER', 'KEYSLOT', key)));
    }
    assert.equal(slots.size, 1, 'one slot for every key');
  } finally {
    await worker.close();
    for (const q of Object.values(queues)) await q.close();
    // A command ioredis parked for a slot-map refresh (MOVED or CLUSTERDOWN while the cluster
    // settled) runs on a timer; quitting first rejects it with "Cluster is ended" after the test,
    // where nobody catches it. Let parked commands run, then quit.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await Promise.allSettled([producer.quit(), blocking.quit()]);
  }
});
