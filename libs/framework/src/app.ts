// The listener API apps are written against (Bolt for JS names), and `dispatch`, the seam the
// worker calls with each job. The App knows nothing of queues: the worker is its receiver.
import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { RedisClient } from '@socketworks/runtime';
import type { MessageEvent, SlackJobData } from '@socketworks/protocol';
import { createLogger, type Logger } from '@socketworks/runtime';
import {
  checkConstraints,
  checkPattern,
  matchPattern,
  type ActionConstraints,
  type OptionsConstraints,
  type Pattern,
  type ShortcutConstraints,
  type ViewConstraints,
} from './constraints';
import { FrameworkError, MultipleListenerError, toError } from './errors';
import { channelOf, identityOf, responseUrlOf, toIncoming, type Incoming } from './incoming';
import { SingleTokenInstallationStore, type InstallationStore } from './installation-store';
import { rateLimitOf } from './classify-error';
import { currentJobScope, JobState, type ReplayMismatchInfo } from './job-scope';
import { runMiddleware } from './middleware';
import { createRespond } from './respond';
import type {
  ActionArgs,
  AnyListenerArgs,
  CommandArgs,
  Context,
  DispatchOptions,
  DispatchResult,
  ErrorHandler,
  EventArgs,
  ListenerKind,
  MessageArgs,
  Middleware,
  OptionsArgs,
  SayFn,
  ShortcutArgs,
  ViewArgs,
  ViewOutput,
} from './types';
import { WebClients, type RateLimitedInfo } from './web-clients';

export interface AppOptions {
  /** @defaultValue a pino logger named `app` */
  logger?: Logger;
  /** A single workspace's bot token; shorthand for a {@link SingleTokenInstallationStore}. */
  token?: string;
  /** Where bot tokens come from; takes precedence over `token`. */
  installationStore?: InstallationStore;
  /** `SLACK_API_URL`. @defaultValue 'https://slack.com/api/' */
  slackApiUrl?: string;
  /** Per Web API request. @defaultValue 10000 */
  webApiTimeoutMs?: number;
  /** Per `respond()` POST. @defaultValue 10000 */
  respondTimeoutMs?: number;
  /** Skip events the app's own bot user caused (Bolt's `ignoreSelf`). @defaultValue true */
  ignoreSelf?: boolean;
  /** Called on each Web API 429, e.g. to count it. */
  onRateLimited?: (info: RateLimitedInfo) => void;
  /**
   * Redis for what the framework keeps per job across attempts and workers: the effects of `say`,
   * `respond` and `client` calls (a retried job does not repeat them), rate-limit pauses per
   * (team, method), and response_url uses. The caller owns the connection (the worker passes a
   * 'command'-role one). Without it, calls are at-least-once and 429s are not shared.
   */
  redis?: RedisClient;
  /** `QUEUE_PREFIX`: keys go under its `{hash tag}`. @defaultValue 'socketworks' */
  keyPrefix?: string;
  /** How long a job's recorded effects are kept (the queues' dedupe window). @defaultValue 3600 */
  effectsTtlSeconds?: number;
  /**
   * Called when a re-run's call at a recorded position has other targets (channel, ts, user, …)
   * than the recorded one: the call is made instead of replayed (logged as a warning), e.g. to count it.
   */
  onReplayMismatch?: (info: ReplayMismatchInfo) => void;
}

/** A match result: `false`, or what the listener's context gets on top of the shared one. */
type MatchResult = false | { matches?: RegExpExecArray };

interface Listener {
  kind: ListenerKind;
  match: (incoming: Incoming) => MatchResult;
  chain: Middleware<AnyListenerArgs>[];
}

/** Events Bolt runs without authorize (its helpers.ts `eventTypesToSkipAuthorize`). */
const EVENTS_SKIPPING_AUTHORIZE: ReadonlySet<string> = new Set(['app_uninstalled', 'tokens_revoked']);

/** Events about the bot user itself that are still worth a listener (as in Bolt's ignoreSelf). */
const SELF_EVENTS_KEPT: ReadonlySet<string> = new Set(['member_joined_channel', 'member_left_channel']);

const rethrow: ErrorHandler = (error) => {
  throw error;
};

export class App {
  readonly logger: Logger;
  readonly #store: InstallationStore;
  readonly #clients: WebClients;
  readonly #options: AppOptions;
  readonly #jobState: JobState | undefined;
  readonly #middleware: Middleware<AnyListenerArgs>[] = [];
  readonly #listeners: Listener[] = [];
  #errorHandler: ErrorHandler = rethrow;

  constructor(options: AppOptions = {}) {
    this.#options = options;
    this.logger = options.logger ?? createLogger({ name: 'app' });
    if (options.installationStore) this.#store = options.installationStore;
    else if (options.token) this.#store = new SingleTokenInstallationStore(options.token);
    else throw new FrameworkError('ERR_AUTHORIZE_FAILED', 'App needs a token or an installationStore');
    this.#jobState = options.redis
      ? new JobState({
          redis: options.redis,
          ...(options.keyPrefix !== undefined ? { keyPrefix: options.keyPrefix } : {}),
          ...(options.effectsTtlSeconds !== undefined ? { effectsTtlSeconds: options.effectsTtlSeconds } : {}),
          ...(options.onReplayMismatch ? { onReplayMismatch: options.onReplayMismatch } : {}),
        })
      : undefined;
    this.#clients = new WebClients({
      logger: this.logger,
      ...(options.slackApiUrl !== undefined ? { slackApiUrl: options.slackApiUrl } : {}),
      ...(options.webApiTimeoutMs !== undefined ? { timeoutMs: options.webApiTimeoutMs } : {}),
      ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
    });
  }

  /** The Web API client for a bot token (one per token, cached). */
  client(token: string): WebClient {
    return this.#clients.get(token);
  }

  /**
   * The job completed: its recorded effects are no longer needed (the worker calls this on
   * BullMQ's `completed`). A no-op without `redis`.
   */
  async forgetJob(jobId: string): Promise<void> {
    await this.#jobState?.forget(jobId);
  }

  /** Global middleware: runs for every payload, in order, before any listener. */
  use(...middleware: Middleware<AnyListenerArgs>[]): this {
    this.#middleware.push(...middleware);
    return this;
  }

  /** Replaces the error handler. The default rethrows, which fails the job (and BullMQ retries it). */
  error(handler: ErrorHandler): this {
    this.#errorHandler = handler;
    return this;
  }

  /** Events API events whose `type` matches (a string exactly, or a RegExp). */
  event<T extends string = string>(type: T | RegExp, ...listeners: Middleware<EventArgs<T>>[]): this {
    const pattern = checkPattern('app.event()', type);
    return this.#add('event', 'app.event()', listeners, (i) => i.kind === 'event' && matchPattern(pattern, i.event.type) && {});
  }

  /**
   * `message` events. Leading strings / RegExps are patterns the text must all match (a string
   * as a substring, as in Bolt); the rest are the listener chain. A RegExp's match goes to
   * `context.matches`.
   */
  message(...patternsThenListeners: Array<Pattern | Middleware<MessageArgs>>): this {
    const patterns: Pattern[] = [];
    let i = 0;
    for (; i < patternsThenListeners.length; i++) {
      const p = patternsThenListeners[i];
      if (typeof p === 'function') break;
      patterns.push(checkPattern('app.message()', p));
    }
    const listeners = patternsThenListeners.slice(i) as Middleware<MessageArgs>[];
    return this.#add('event', 'app.message()', listeners, (incoming) => {
      if (incoming.kind !== 'event' || incoming.event.type !== 'message') return false;
      const text = (incoming.event as MessageEvent).text;
      let matches: RegExpExecArray | undefined;
      for (const pattern of patterns) {
        if (typeof text !== 'string') return false;
        if (typeof pattern === 'string') {
          if (!text.includes(pattern)) return false;
        } else {
          pattern.lastIndex = 0;
          const m = pattern.exec(text);
          if (!m) return false;
          matches = m;
        }
      }
      return matches ? { matches } : {};
    });
  }

  /** Slash commands by name (`'/echo'` exactly, or a RegExp). */
  command(name: Pattern, ...listeners: Middleware<CommandArgs>[]): this {
    const pattern = checkPattern('app.command()', name);
    return this.#add('command', 'app.command()', listeners, (i) => i.kind === 'command' && matchPattern(pattern, i.body.command) && {});
  }

  /** `block_actions` by the (first) action's `action_id`, or by constraints. */
  action(constraint: Pattern | ActionConstraints, ...listeners: Middleware<ActionArgs>[]): this {
    const c: ActionConstraints =
      typeof constraint === 'string' || constraint instanceof RegExp
        ? { action_id: constraint }
        : checkConstraints('app.action()', constraint, ['action_id', 'block_id'], ['block_actions']);
    return this.#add('action', 'app.action()', listeners, (i) =>
      i.kind === 'action' &&
      (c.type === undefined || i.body.type === c.type) &&
      matchPattern(c.action_id, i.action.action_id) &&
      matchPattern(c.block_id, i.action.block_id) && {},
    );
  }

  /** Modal submissions (a bare callback_id matches `view_submission` only) or closes. */
  view(constraint: Pattern | ViewConstraints, ...listeners: Middleware<ViewArgs>[]): this {
    const c: ViewConstraints =
      typeof constraint === 'string' || constraint instanceof RegExp
        ? { callback_id: constraint, type: 'view_submission' }
        : checkConstraints('app.view()', constraint, ['callback_id'], ['view_submission', 'view_closed']);
    return this.#add('view', 'app.view()', listeners, (i) =>
      i.kind === 'view' && (c.type === undefined || i.body.type === c.type) && matchPattern(c.callback_id, i.body.view.callback_id) && {},
    );
  }

  /** Global (`shortcut`) and message (`message_action`) shortcuts by callback_id. */
  shortcut(constraint: Pattern | ShortcutConstraints, ...listeners: Middleware<ShortcutArgs>[]): this {
    const c: ShortcutConstraints =
      typeof constraint === 'string' || constraint instanceof RegExp
        ? { callback_id: constraint }
        : checkConstraints('app.shortcut()', constraint, ['callback_id'], ['shortcut', 'message_action']);
    return this.#add('shortcut', 'app.shortcut()', listeners, (i) =>
      i.kind === 'shortcut' && (c.type === undefined || i.body.type === c.type) && matchPattern(c.callback_id, i.body.callback_id) && {},
    );
  }

  /** External select option loads (`block_suggestion`) by action_id / block_id / the modal's callback_id. */
  options(constraint: Pattern | OptionsConstraints, ...listeners: Middleware<OptionsArgs>[]): this {
    const c: OptionsConstraints =
      typeof constraint === 'string' || constraint instanceof RegExp
        ? { action_id: constraint }
        : checkConstraints('app.options()', constraint, ['action_id', 'block_id', 'callback_id'], ['block_suggestion']);
    return this.#add('options', 'app.options()', listeners, (i) =>
      i.kind === 'options' &&
      (c.type === undefined || i.body.type === c.type) &&
      matchPattern(c.action_id, i.body.action_id) &&
      matchPattern(c.block_id, i.body.block_id) &&
      matchPattern(c.callback_id, i.body.view?.callback_id) && {},
    );
  }

  #add<Args>(kind: ListenerKind, what: string, chain: Middleware<Args>[], match: (incoming: Incoming) => MatchResult): this {
    if (chain.length === 0 || chain.some((fn) => typeof fn !== 'function')) {
      throw new FrameworkError('ERR_APP_NO_LISTENER', `${what} needs at least one listener function`);
    }
    this.#listeners.push({ kind, match, chain: chain as unknown as Middleware<AnyListenerArgs>[] });
    return this;
  }

  /**
   * Runs one job: global middleware, then every matching listener (concurrently, as Bolt does).
   * Listener errors go to the error handler; if it throws (the default), this rejects — with the
   * error itself, or a {@link MultipleListenerError} when several listeners failed.
   * Errors from the installation store are not listener errors: they reject directly.
   */
  async dispatch(data: SlackJobData, jobId: string, options: DispatchOptions = {}): Promise<DispatchResult> {
    // With Redis, each run is a job scope: listener calls are recorded and rate-limit aware (job-scope.ts).
    if (this.#jobState && !currentJobScope()) return this.#jobState.run(data, jobId, options.logger ?? this.logger, () => this.dispatch(data, jobId, options));
    const logger = options.logger ?? this.logger;
    const incoming = toIncoming(data);
    if (incoming.kind === 'unroutable') {
      logger.info({ reason: incoming.reason }, 'no listener kind for this payload; nothing to do');
      return { handled: false, listeners: 0, acked: false };
    }
    const identity = identityOf(incoming);
    // As Bolt: the installation of an app_uninstalled / tokens_revoked event may be deleted already,
    // and its listener is how the app cleans up; those run without a token.
    const auth =
      incoming.kind === 'event' && EVENTS_SKIPPING_AUTHORIZE.has(incoming.event.type)
        ? undefined
        : await this.#store.authorize({
            ...(identity.teamId ? { teamId: identity.teamId } : {}),
            ...(identity.enterpriseId ? { enterpriseId: identity.enterpriseId } : {}),
            isEnterpriseInstall: identity.isEnterpriseInstall,
          });
    const context: Context = {
      ...identity,
      ...(auth ? { botToken: auth.botToken } : {}),
      botUserId: identity.botUserId ?? auth?.botUserId,
      retryNum: data.retry_attempt,
      retryReason: data.retry_reason,
      jobId,
      envelopeId: data.envelope_id,
    };
    if (this.#isSelf(incoming, context)) {
      logger.debug({ event_type: incoming.kind === 'event' ? incoming.event.type : undefined }, "ignored: the app's own event");
      return { handled: false, listeners: 0, acked: false };
    }

    const ackState: { acked: boolean; response?: unknown } = { acked: false };
    const ack = async (response?: unknown): Promise<void> => {
      if (incoming.kind === 'event') return; // the connector acked events already
      if (ackState.acked) {
        logger.warn('ack() called more than once; only the first answer counts');
        return;
      }
      ackState.acked = true;
      if (response !== undefined) ackState.response = typeof response === 'string' ? { text: response } : response;
      if (options.onAck) await options.onAck(ackState.response);
    };
    const client = this.#clients.get(auth?.botToken ?? '');
    const args = listenerArgs(incoming, {
      client,
      logger,
      context,
      ack,
      say: createSay(client, channelOf(incoming)),
      respond: createRespond(responseUrlOf(incoming), { timeoutMs: this.#options.respondTimeoutMs ?? 10000 }),
    });

    let ran = 0;
    try {
      await runMiddleware(this.#middleware, args, async () => {
        const matching: Array<{ listener: Listener; extra: Exclude<MatchResult, false> }> = [];
        for (const listener of this.#listeners) {
          const extra = listener.kind === incoming.kind ? listener.match(incoming) : false;
          if (extra) matching.push({ listener, extra });
        }
        ran = matching.length;
        const results = await Promise.allSettled(
          matching.map(({ listener, extra }) =>
            runMiddleware(listener.chain, extra.matches ? { ...args, context: { ...args.context, matches: extra.matches } } : args),
          ),
        );
        const errors = results.flatMap((r) => (r.status === 'rejected' ? [toError(r.reason)] : []));
        if (errors.length === 1) throw errors[0];
        if (errors.length > 1) throw new MultipleListenerError(errors);
      });
    } catch (thrown) {
      // A rate limit is flow control, not an error for the app: the worker delays the job.
      if (rateLimitOf(thrown)) throw thrown;
      await this.#errorHandler(toError(thrown), { logger, context, body: incoming.body });
    }
    // Bolt apps catch and log their calls' errors (Bolt's own client waits out a 429 and retries);
    // here a 429 rejects at once, so a refusal the app caught (or app.error swallowed) would
    // complete the job without the call. A real failure that reached here was rethrown above and
    // wins (as in rateLimitOf): its retry meets the pause again if it is still in force.
    const refused = currentJobScope()?.refusal;
    if (refused) throw this.#refusalCaught(refused, logger);
    return {
      handled: ran > 0,
      listeners: ran,
      acked: ackState.acked,
      ...(ackState.response !== undefined ? { ackResponse: ackState.response } : {}),
    };
  }

  /** Logs a refusal the app caught (in a listener or in `app.error`), and returns it to throw. */
  #refusalCaught(refused: FrameworkError, logger: Logger): FrameworkError {
    const limited = rateLimitOf(refused);
    logger.warn(
      {
        code: refused.code,
        ...(limited ? { method: limited.method, team_id: limited.teamId, retry_after_ms: limited.retryAfterMs, paused_by_earlier_429: limited.paused } : {}),
      },
      limited
        ? 'a Web API call of this job was rate limited and not made; the app caught the error, but the run fails anyway so the job is delayed and runs again (calls already made are replayed)'
        : 'a Web API call of this job was not made (job state unavailable); the app caught the error, but the run fails anyway so the job is retried',
    );
    return refused;
  }

  #isSelf(incoming: Incoming, context: Context): boolean {
    if (this.#options.ignoreSelf === false || incoming.kind !== 'event' || !context.botUserId) return false;
    const event = incoming.event as { type: string; user?: unknown };
    return event.user === context.botUserId && !SELF_EVENTS_KEPT.has(event.type);
  }
}

interface CommonParts {
  client: WebClient;
  logger: Logger;
  context: Context;
  ack: (response?: unknown) => Promise<void>;
  say: SayFn;
  respond: ReturnType<typeof createRespond>;
}

/** The arguments of one kind, named as Bolt names them. */
function listenerArgs(incoming: Incoming, common: CommonParts): AnyListenerArgs {
  switch (incoming.kind) {
    case 'event': {
      const event = incoming.event;
      const message = event.type === 'message' ? (event as MessageEvent) : undefined;
      return { ...common, kind: 'event', payload: event, event, message, body: incoming.body } as EventArgs;
    }
    case 'command':
      return { ...common, kind: 'command', payload: incoming.body, command: incoming.body, body: incoming.body };
    case 'action':
      // Slack sends a trigger_id with every block_actions; typed as present, as in Bolt.
      return { ...common, kind: 'action', payload: incoming.action, action: incoming.action, body: incoming.body as ActionArgs['body'] };
    case 'view': {
      // `view.state` is typed as always there (Bolt's ViewOutput); a payload without one gets an empty state.
      const original = incoming.body.view;
      const view: ViewOutput = original.state ? (original as ViewOutput) : { ...original, state: { values: {} } };
      const body = (view === original ? incoming.body : { ...incoming.body, view }) as ViewArgs['body'];
      return { ...common, kind: 'view', payload: view, view, body };
    }
    case 'shortcut':
      return { ...common, kind: 'shortcut', payload: incoming.body, shortcut: incoming.body, body: incoming.body };
    case 'options':
      return { ...common, kind: 'options', payload: incoming.body, options: incoming.body, body: incoming.body };
  }
}

function createSay(client: WebClient, channel: string | undefined): SayFn {
  return async (message) => {
    if (!channel) throw new FrameworkError('ERR_SAY_NO_CHANNEL', 'say() was called for a payload that names no channel; use client.chat.postMessage');
    const args = typeof message === 'string' ? { text: message, channel } : { ...message, channel };
    return client.chat.postMessage(args as ChatPostMessageArguments);
  };
}
