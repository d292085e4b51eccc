// Redis pub/sub between connector replicas: control notifications (a handover was requested, a
// lease moved, a slot was released) so the others act now instead of at their next tick, and the
// cross-socket ack requests of a leaving replica. Pub/sub is fire-and-forget: every notification
// is also visible in the state each tick reads, so a lost message costs at most one tick.
import { EventEmitter } from 'node:events';
import type { RedisClient } from '@socketworks/runtime';
import type { Logger } from 'pino';
import { describeError, Subscription } from '@socketworks/runtime';
import type { SlotKeys } from './slot-keys';

export type ControlMessage =
  | { type: 'handover'; slot: number; from: string }
  | { type: 'transferred'; slot: number; from: string; to: string }
  | { type: 'released'; slot: number; from: string }
  /** The old socket of a slot handed over has closed: room for another takeover under the cap. */
  | { type: 'closed'; slot: number; from: string };

export interface AckRequest {
  envelope_id: string;
  payload?: Record<string, unknown>;
  /** The replica to answer (its ack-results channel). */
  from: string;
}

export interface AckResult {
  envelope_id: string;
  ok: boolean;
  /** Why not, when not ok (`no_socket`). */
  error?: string;
}

export interface SlotBusEvents {
  control: [ControlMessage];
  ack_request: [AckRequest];
  ack_result: [AckResult];
}

export interface SlotBusOptions {
  /** A connection of its own, from `createSubscriberConnection` (the bus subscribes again after a reconnect itself). */
  subscriber: RedisClient;
  /** Where this replica publishes (the lease connection). */
  publisher: RedisClient;
  keys: SlotKeys;
  replicaId: string;
  logger: Logger;
}

export class SlotBus extends EventEmitter<SlotBusEvents> {
  private readonly channels: { control: string; requests: string; results: string };
  private readonly subscription: Subscription;

  constructor(private readonly options: SlotBusOptions) {
    super();
    this.channels = {
      control: options.keys.control,
      requests: options.keys.ackRequests(options.replicaId),
      results: options.keys.ackResults(options.replicaId),
    };
    // Until a lost subscription is back the ticks read every change from the state: pub/sub only
    // makes the others act sooner.
    this.subscription = new Subscription({
      redis: options.subscriber,
      channels: Object.values(this.channels),
      onMessage: (channel, message) => this.onMessage(channel, message),
      logger: options.logger,
      name: 'slot bus',
    });
  }

  /** Subscribes; after a reconnect the bus subscribes again by itself. */
  start(): Promise<void> {
    return this.subscription.start();
  }

  async publishControl(message: ControlMessage): Promise<void> {
    await this.options.publisher.publish(this.channels.control, JSON.stringify(message));
  }

  /** Resolves with how many replicas heard it (0: the target is gone). */
  async requestAck(targetReplicaId: string, request: AckRequest): Promise<number> {
    return this.options.publisher.publish(this.options.keys.ackRequests(targetReplicaId), JSON.stringify(request));
  }

  async answerAck(requesterReplicaId: string, result: AckResult): Promise<void> {
    await this.options.publisher.publish(this.options.keys.ackResults(requesterReplicaId), JSON.stringify(result));
  }

  close(): Promise<void> {
    return this.subscription.close();
  }

  private onMessage(channel: string, message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch (err) {
      // Another version or a stray publisher: ignoring it is safe, the next tick reads the state.
      this.options.logger.warn({ channel, err: describeError(err) }, 'slot bus: message is not JSON, ignored');
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const value = parsed as Record<string, unknown>;
    if (channel === this.channels.control && typeof value.type === 'string' && typeof value.slot === 'number') {
      this.emit('control', value as unknown as ControlMessage);
    } else if (channel === this.channels.requests && typeof value.envelope_id === 'string' && typeof value.from === 'string') {
      this.emit('ack_request', value as unknown as AckRequest);
    } else if (channel === this.channels.results && typeof value.envelope_id === 'string' && typeof value.ok === 'boolean') {
      this.emit('ack_result', value as unknown as AckResult);
    }
  }
}
