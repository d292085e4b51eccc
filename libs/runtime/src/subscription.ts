// A Redis pub/sub subscription that comes back after a reconnect. ioredis' own `autoResubscribe`
// sends SUBSCRIBE again on every reconnect without handling its promise, so a connection closed
// while that is in flight (a shutdown right after Redis came back) raised an unhandled rejection.
// The connection therefore has it off, and the subscription subscribes again on 'ready' itself:
// once, with a failure logged, never left unhandled.
import type { Logger } from 'pino';
import { describeError } from './errors';
import { createRedisConnection, quitRedis, type RedisClient } from './redis';

export interface SubscriptionOptions {
  /** A connection of its own (a subscribed one runs no other command): {@link createSubscriberConnection}. */
  redis: RedisClient;
  channels: readonly string[];
  /** Every message on one of `channels`. */
  onMessage: (channel: string, message: string) => void;
  logger: Logger;
  /** Starts its log lines: `slot bus`, `sync lane`. */
  name: string;
}

export class Subscription {
  private readonly channels: ReadonlySet<string>;
  private started = false;
  private closed = false;
  /** The SUBSCRIBE was answered on the current connection. */
  private subscribed = false;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: SubscriptionOptions) {
    this.channels = new Set(options.channels);
    const { redis, logger, name } = options;
    redis.on('message', (channel: string, message: string) => {
      if (this.channels.has(channel)) options.onMessage(channel, message);
    });
    redis.on('close', () => {
      this.subscribed = false;
    });
    redis.on('ready', () => {
      if (!this.started || this.closed || this.subscribed) return;
      this.subscribe().catch((err: unknown) => {
        // Closed meanwhile, or Redis gone again: the next 'ready' tries again.
        if (!this.closed) logger.warn({ err: describeError(err) }, `${name}: could not subscribe again after a reconnect`);
      });
    });
  }

  /** Whether messages reach this process now: subscribed, on a ready connection, not closed. */
  get active(): boolean {
    return this.subscribed && this.options.redis.status === 'ready' && !this.closed;
  }

  /** Subscribes (rejects if that fails); from then on it subscribes again after each reconnect. */
  async start(): Promise<void> {
    this.started = true;
    await this.subscribe();
  }

  /** Stops subscribing again and closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await quitRedis(this.options.redis, this.options.name, this.options.logger);
  }

  /**
   * One SUBSCRIBE at a time: the first 'ready' (or a reconnect's) while one is queued or in flight
   * does not send another; ioredis resends an unanswered one on the new connection.
   */
  private subscribe(): Promise<void> {
    this.inFlight ??= this.options.redis.subscribe(...this.options.channels).then(
      () => {
        this.inFlight = undefined;
        this.subscribed = true;
      },
      (err: unknown) => {
        this.inFlight = undefined;
        throw err;
      },
    );
    return this.inFlight;
  }
}

/**
 * A connection for one {@link Subscription}: never gives up reconnecting, with ioredis'
 * `autoResubscribe` off (the subscription does that itself).
 */
export function createSubscriberConnection(url: string, options: { cluster?: boolean; name: string; logger: Logger }): RedisClient {
  return createRedisConnection(url, { cluster: options.cluster ?? false, role: 'blocking', name: options.name, logger: options.logger, overrides: { autoResubscribe: false } });
}
