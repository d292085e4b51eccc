// Finds jobs by what an operator has in hand: an `event_id` from Slack or a log line, an
// `envelope_id` from a connector log line, or a job id from bull-board. Job ids are derived from
// them (PROTOCOL.md §8: `ev-<event_id>` for events, `env-<envelope_id>` for the rest), so most
// look-ups are one HGETALL per queue; only an envelope_id of an event needs a scan, and that scan
// is bounded.
import type { JobType, Queue } from 'bullmq';
import { envelopeJobIdOf, eventJobIdOf, QUEUE_NAMES, type QueueName } from '@socketworks/protocol';
import { DashboardError } from '../errors';
import { toJobView, type JobView } from './job-view';
import { readJob } from './unreadable-job';

export type JobQueryKind = 'event_id' | 'envelope_id' | 'job_id' | 'any';

export interface JobQuery {
  kind: JobQueryKind;
  value: string;
}

export interface JobFinderOptions {
  queues: Readonly<Record<QueueName, Queue>>;
  /**
   * Most recent jobs of each state read when looking for an event's envelope_id.
   * @defaultValue 1000
   */
  scanLimit?: number;
}

/**
 * Slack ids (`Ev0…`, UUID envelope ids) and BullMQ ids (which write a `:` or `%` of a Slack id as
 * `%3A` / `%25`: encodeJobIdPart); nothing that needs escaping in HTML or Redis.
 */
const ID_PATTERN = /^[A-Za-z0-9._:%-]{1,200}$/;

/** Every state a job can be in, most interesting first (an operator usually looks for a failure). */
const SCAN_STATES: readonly JobType[] = ['failed', 'active', 'waiting', 'delayed', 'prioritized', 'paused', 'waiting-children', 'completed'];
const SCAN_PAGE = 100;

export const QUERY_KINDS: readonly JobQueryKind[] = ['any', 'event_id', 'envelope_id', 'job_id'];

/** Reads `?event_id=` / `?envelope_id=` / `?job_id=` / `?q=` (any) from a query string. */
export function parseJobQuery(query: Record<string, unknown>): JobQuery {
  const given = (['event_id', 'envelope_id', 'job_id', 'q'] as const).filter((key) => typeof query[key] === 'string' && (query[key] as string).trim() !== '');
  if (given.length !== 1) {
    throw new DashboardError('ERR_DASHBOARD_BAD_QUERY', 'give exactly one of event_id, envelope_id, job_id or q');
  }
  const key = given[0]!;
  const value = (query[key] as string).trim();
  if (!ID_PATTERN.test(value)) {
    throw new DashboardError('ERR_DASHBOARD_BAD_QUERY', `${key} must be 1-200 letters, digits, or . _ : % -`);
  }
  return { kind: key === 'q' ? 'any' : key, value };
}

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

export class JobFinder {
  private readonly queues: Readonly<Record<QueueName, Queue>>;
  private readonly scanLimit: number;

  constructor(options: JobFinderOptions) {
    this.queues = options.queues;
    this.scanLimit = options.scanLimit ?? 1000;
  }

  async find(query: JobQuery): Promise<JobView[]> {
    if (!ID_PATTERN.test(query.value)) throw new DashboardError('ERR_DASHBOARD_BAD_QUERY', 'the id has characters no Slack or job id has');
    const found = new Map<string, JobView>();
    const add = (views: JobView[]) => {
      for (const view of views) found.set(`${view.queue}/${view.id}`, view);
    };
    const { kind, value } = query;
    if (kind === 'job_id' || kind === 'any') add(await this.byJobId(value));
    if (kind === 'event_id' || kind === 'any') add(await this.byEventId(value));
    if (kind === 'envelope_id' || kind === 'any') add(await this.byEnvelopeId(value, kind === 'envelope_id' || found.size === 0));
    return [...found.values()];
  }

  /** The job with this id in any queue (ids are unique per queue, not across them). */
  async byJobId(id: string): Promise<JobView[]> {
    const views = await Promise.all(QUEUE_NAMES.map((name) => this.get(name, id)));
    return views.filter((v): v is JobView => v !== undefined);
  }

  async byEventId(eventId: string): Promise<JobView[]> {
    const view = await this.get('events', eventJobIdOf(eventId));
    return view ? [view] : [];
  }

  /**
   * `env-<envelope_id>` in every queue; then, if `scan` and nothing was found in the events queue,
   * the most recent jobs of the events queue (whose ids are event ids) compared on
   * `data.envelope_id`.
   */
  async byEnvelopeId(envelopeId: string, scan = true): Promise<JobView[]> {
    const views = (await Promise.all(QUEUE_NAMES.map((name) => this.get(name, envelopeJobIdOf(envelopeId))))).filter((v): v is JobView => v !== undefined);
    if (scan && !views.some((v) => v.queue === 'events')) {
      const scanned = await this.scanForEnvelope('events', envelopeId);
      if (scanned) views.push(scanned);
    }
    return views;
  }

  /** One job with its state (`unreadable` when BullMQ cannot parse it), or undefined when the queue has no such job. */
  async get(queueName: QueueName, id: string): Promise<JobView | undefined> {
    const job = await readJob(this.queues[queueName], id);
    if (!job) return undefined;
    return toJobView(queueName, job, await job.getState());
  }

  private async scanForEnvelope(queueName: QueueName, envelopeId: string): Promise<JobView | undefined> {
    const queue = this.queues[queueName];
    for (const state of SCAN_STATES) {
      for (let start = 0; start < this.scanLimit; start += SCAN_PAGE) {
        const end = Math.min(start + SCAN_PAGE, this.scanLimit) - 1;
        // Ids first, so a page of ids whose jobs were just removed does not end the scan early.
        const ids = await queue.getRanges([state], start, end, false);
        // An unreadable job's data is a placeholder: it never matches.
        const jobs = await Promise.all(ids.map((id) => readJob(queue, id)));
        const match = jobs.find((job) => (job?.data as { envelope_id?: unknown } | undefined)?.envelope_id === envelopeId);
        if (match) return toJobView(queueName, match, await match.getState());
        if (ids.length < end - start + 1) break;
      }
    }
    return undefined;
  }
}
