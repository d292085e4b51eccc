// Which queue an envelope goes to, and the id that makes Slack's redeliveries idempotent
// (PROTOCOL.md §8: `event_id` for Events API payloads, `envelope_id` otherwise).
import type { Envelope, EnvelopeType } from './frames';

/** One queue per kind of work, so each scales and is watched on its own (ARCHITECTURE.md §4). */
export const QUEUE_NAMES = ['events', 'interactive', 'commands', 'sync'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Interactive payload types whose ack carries the answer (PROTOCOL.md §4.3). */
export const SYNC_INTERACTIVE_TYPES: ReadonlySet<string> = new Set(['block_suggestion', 'view_submission']);

/**
 * Interactive payload types that carry a `trigger_id` apps use to open a modal. It expires 3 s
 * after delivery (PROTOCOL.md §7), so they share the sync lane's short queue instead of waiting
 * behind `interactive` work; their ack is bare and written right after the enqueue.
 */
export const TRIGGER_INTERACTIVE_TYPES: ReadonlySet<string> = new Set(['shortcut', 'message_action', 'block_actions']);

export interface Route {
  queue: QueueName;
  /** BullMQ job id: a second delivery of the same Slack event maps to the same job. */
  jobId: string;
  /** The Slack `event_id` for events, so logs can carry it. */
  eventId?: string;
  /**
   * Set (true) when the ack should carry the handler's answer: a sync-lane kind whose ack
   * Slack reads (slash commands, `block_suggestion`, `view_submission`) delivered with
   * `accepts_response_payload: true`. The connector then waits for the answer before acking.
   */
  awaitAnswer?: true;
}

export interface RoutingOptions {
  /**
   * Send kinds whose ack carries an answer, and kinds carrying a `trigger_id`
   * ({@link TRIGGER_INTERACTIVE_TYPES}), to the `sync` queue.
   * @defaultValue false
   */
  syncLane?: boolean;
}

/** What routing reads of an envelope. `accepts_response_payload` decides `awaitAnswer`. */
export type RoutableEnvelope = Pick<Envelope, 'type' | 'envelope_id' | 'payload'> & Partial<Pick<Envelope, 'accepts_response_payload'>>;

/**
 * One id as a part of a BullMQ job id. BullMQ (5.x) refuses a custom job id containing `:` ("Custom
 * Id cannot contain :"), and Slack does not promise ids without one, so `:` is written `%3A`. `%` is
 * written `%25` first, so the encoding is reversible and two different ids never share a job id
 * (`a:b` → `a%3Ab`, `a%3Ab` → `a%253Ab`); the same id always gives the same job id, so redeliveries
 * still dedupe. Ids without `:` or `%` (every id Slack has sent so far) are unchanged.
 */
export function encodeJobIdPart(id: string): string {
  return id.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The job id of an event: `ev-` and its `event_id` ({@link encodeJobIdPart}). */
export function eventJobIdOf(eventId: string): string {
  return `ev-${encodeJobIdPart(eventId)}`;
}

/** The job id of a non-event envelope (and of an event without an `event_id`): `env-` and its `envelope_id`. */
export function envelopeJobIdOf(envelopeId: string): string {
  return `env-${encodeJobIdPart(envelopeId)}`;
}

/**
 * The job id is `ev-<event_id>` or `env-<envelope_id>`, each id passed through
 * {@link encodeJobIdPart} (BullMQ refuses `:` in job ids; the prefix also keeps an all-digit id
 * from reading as an integer, which BullMQ refuses too).
 */
export function routeEnvelope(envelope: RoutableEnvelope, options: RoutingOptions = {}): Route {
  const envelopeJobId = envelopeJobIdOf(envelope.envelope_id);
  switch (envelope.type) {
    case 'events_api': {
      const eventId = envelope.payload.event_id;
      if (typeof eventId === 'string' && eventId.length > 0) {
        return { queue: 'events', jobId: eventJobIdOf(eventId), eventId };
      }
      // Payloads without an event_id (e.g. app_rate_limited) fall back to the envelope.
      return { queue: 'events', jobId: envelopeJobId };
    }
    case 'slash_commands':
      if (!options.syncLane) return { queue: 'commands', jobId: envelopeJobId };
      return withAnswer({ queue: 'sync', jobId: envelopeJobId }, envelope);
    case 'interactive': {
      const type = typeof envelope.payload.type === 'string' ? envelope.payload.type : '';
      const jobId = envelopeJobId;
      if (options.syncLane && SYNC_INTERACTIVE_TYPES.has(type)) return withAnswer({ queue: 'sync', jobId }, envelope);
      if (options.syncLane && TRIGGER_INTERACTIVE_TYPES.has(type)) return { queue: 'sync', jobId };
      return { queue: 'interactive', jobId };
    }
  }
}

/** Only an ack Slack reads is worth waiting for (PROTOCOL.md §3.4: `accepts_response_payload`). */
function withAnswer(route: Route, envelope: RoutableEnvelope): Route {
  return envelope.accepts_response_payload === true ? { ...route, awaitAnswer: true } : route;
}

export function queueForType(type: EnvelopeType): QueueName {
  return type === 'events_api' ? 'events' : type === 'slash_commands' ? 'commands' : 'interactive';
}

/**
 * The BullMQ key prefix. It is wrapped in a Redis Cluster hash tag (`{…}`) so every key of every
 * queue lands in one slot, which BullMQ's multi-key scripts need on a cluster.
 */
export function bullPrefix(queuePrefix: string): string {
  return queuePrefix.startsWith('{') && queuePrefix.endsWith('}') ? queuePrefix : `{${queuePrefix}}`;
}

/**
 * The Redis pub/sub channel on which one connector process hears the sync lane's answers
 * (`SyncReply`), under the queues' hash tag. Each process has its own (`instanceId`); jobs name it
 * in `reply_to`.
 */
export function syncReplyChannel(queuePrefix: string, instanceId: string): string {
  return `${bullPrefix(queuePrefix)}:sync-acks:${instanceId}`;
}
