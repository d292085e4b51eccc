// `WORKER_QUEUES`: which queues a worker process serves and how many jobs of each it runs at once,
// as `events:32,interactive:16,commands:16,sync:16`. Read by the worker's config and by the
// benchmark's `--worker-queues`, so both accept exactly the same values.
import { QUEUE_NAMES, type QueueName } from './routing';

export interface QueueServing {
  name: QueueName;
  /** Jobs one process runs at once from this queue. */
  concurrency: number;
}

/**
 * Interactive, command and sync jobs answer a person who just clicked or typed, and mostly wait on
 * the network; events are the bulk. Each process serves all four unless told otherwise.
 *
 * Event listeners mostly wait on Slack (a Web API call takes ~100 ms). With a 100 ms
 * chat.postMessage in the simulator and 1,500 mentions streamed at 500/s (3 s), one worker's last
 * answer came 16.9 s after the stream ended at `events:8` (about 75 answers/s) and 2.3 s after it
 * at `events:32` (one run each). Listeners that burn CPU want less; the sizing guide says how much.
 */
export const DEFAULT_WORKER_QUEUES = 'events:32,interactive:16,commands:16,sync:16';

/** Concurrency of an entry given without `:N`. */
export const DEFAULT_QUEUE_CONCURRENCY = 8;
export const MAX_QUEUE_CONCURRENCY = 1000;

/**
 * `events:8, interactive` → the queues in the order given. Each problem names the entry by its
 * position only (the value may be a typo of something private); an empty `problems` means valid.
 */
export function parseQueueServing(value: string): { queues: QueueServing[]; problems: string[] } {
  const queues: QueueServing[] = [];
  const problems: string[] = [];
  value.split(',').forEach((raw, i) => {
    const [name, concurrencyText, ...rest] = raw.trim().split(':').map((p) => p.trim());
    const where = `entry ${i + 1}`;
    if (!QUEUE_NAMES.includes(name as QueueName)) {
      problems.push(`${where}: must be a queue name (${QUEUE_NAMES.join(', ')}), optionally :concurrency`);
    } else if (rest.length > 0 || (concurrencyText !== undefined && !/^\d+$/.test(concurrencyText))) {
      problems.push(`${where}: concurrency must be a whole number`);
    } else if (queues.some((q) => q.name === name)) {
      problems.push(`${where}: a queue is listed twice`);
    } else {
      const concurrency = concurrencyText === undefined ? DEFAULT_QUEUE_CONCURRENCY : Number(concurrencyText);
      if (concurrency < 1 || concurrency > MAX_QUEUE_CONCURRENCY) {
        problems.push(`${where}: concurrency must be between 1 and ${MAX_QUEUE_CONCURRENCY}`);
      }
      queues.push({ name: name as QueueName, concurrency });
    }
  });
  return { queues, problems };
}
