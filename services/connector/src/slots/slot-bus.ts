// Redis pub/sub between connector replicas: control notifications (a handover was requested, a
// lease moved, a slot was released) so the others act now instead of at their next tick, and the
// cross-socket ack requests of a leaving replica. Pub/sub is fire-and-forget: every notification
// is also visible in the state each tick reads, so a lost message costs at most one tick.
import { EventEmitter } from 'node:events';
import type { RedisClient } from '@socketworks/runtime';
import type { Logger } from 'pino';
import { describeError } from '@socketworks/runtime';
import type { SlotKeys } from './slot-keys';

export type ControlMessage =
  | { type: 'handover'; slot: number; from: string }
  | { type: 'transferred'; slot: number; from: string; to: string }
  | { type: 'released'; slot: number; from: string };

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
  /**
   * A connection of its own (a subscribed connection can do nothing else), created with
   * `autoResubscribe: false`: the bus subscribes again after each reconnect itself. ioredis'
   * own resubscription leaves its promise unhandled, so a connection closed while it is in flight
   * (a shutdown right after Redis came back) raised an unhandled rejection.
   */
  subscriber: RedisClient;
  /** Where this replica publishes (the lease connection). */
  publisher: RedisClient;
  keys: SlotKeys;
  replicaId: string;
  logger: Logger;
}

export class SlotBus extends EventEmitter<SlotBusEvents> {
  private readonly channels: { control: string; requests: string; results: string };
  /** `start()` was called and `close()` was not: every 'ready' subscribes again. */
  private listening = false;

  constructor(private readonly options: SlotBusOptions) {
    super();
    this.channels = {
      control: options.keys.control,
      requests: options.keys.ackRequests(options.replicaId),
      results: options.keys.ackResults(options.replicaId),
    };
    options.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    options.subscriber.on('ready', () => {
      if (this.listening) void this.resubscribe();
    });
  }

  /** Subscribes; after a reconnect the bus subscribes again by itself. */
  async start(): Promise<void> {
    this.listening = true;
    await this.subscribe();
  }

  private subscribe(): Promise<unknown> {
    return this.options.subscriber.subscribe(this.channels.control, this.channels.requests, this.channels.results);
  }

  private async resubscribe(): Promise<void> {
    try {
      await this.subscribe();
    } catch (err) {
      // Closed meanwhile, or Redis gone again: the next 'ready' tries again. Until then the ticks
      // read every change from the state (pub/sub only makes the others act sooner).
      if (this.listening) this.options.logger.warn({ err: describeError(err) }, 'slot bus: could not subscribe again after a reconnect');
    }
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

  async close(): Promise<void> {
    this.listening = false;
    try {
      await this.options.subscriber.quit();
    } catch (err) {
      // Not connected (Redis down at shutdown): nothing to unsubscribe from, drop the socket.
      this.options.logger.info({ err: describeError(err) }, 'slot bus quit failed: disconnecting');
      this.options.subscriber.disconnect();
    }
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
