// Which queue an envelope goes to, and the id that makes Slack's redeliveries idempotent
// (PROTOCOL.md §8: `event_id` for Events API payloads, `envelope_id` otherwise).
import type { Envelope, EnvelopeType } from './frames';

/** One queue per kind of work, so each scales and is watched on its own (ARCHITECTURE.md §4). */
export const QUEUE_NAMES = ['events', 'interactive', 'commands', 'sync'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Interactive payload types whose ack carries the answer (PROTOCOL.md §4.3). */
export const SYNC_INTERACTIVE_TYPES: ReadonlySet<string> = new Set(['block_suggestion', 'view_submission']);

export interface Route {
  queue: QueueName;
  /** BullMQ job id: a second delivery of the same Slack event maps to the same job. */
  jobId: string;
  /** The Slack `event_id` for events, so logs can carry it. */
  eventId?: string;
}

export interface RoutingOptions {
  /**
   * Send kinds whose ack carries an answer to the `sync` queue. Off until the sync lane exists.
   * @defaultValue false
   */
  syncLane?: boolean;
}

/** Job ids may not contain `:` in BullMQ, so the prefix is joined with `-`. */
export function routeEnvelope(envelope: Pick<Envelope, 'type' | 'envelope_id' | 'payload'>, options: RoutingOptions = {}): Route {
  switch (envelope.type) {
    case 'events_api': {
      const eventId = envelope.payload.event_id;
      if (typeof eventId === 'string' && eventId.length > 0) {
        return { queue: 'events', jobId: `ev-${eventId}`, eventId };
      }
      // Payloads without an event_id (e.g. app_rate_limited) fall back to the envelope.
      return { queue: 'events', jobId: `env-${envelope.envelope_id}` };
    }
    case 'slash_commands':
      return { queue: options.syncLane ? 'sync' : 'commands', jobId: `env-${envelope.envelope_id}` };
    case 'interactive': {
      const sync = options.syncLane && SYNC_INTERACTIVE_TYPES.has(String(envelope.payload.type));
      return { queue: sync ? 'sync' : 'interactive', jobId: `env-${envelope.envelope_id}` };
    }
  }
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
