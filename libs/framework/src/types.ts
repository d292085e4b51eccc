// What listeners receive, named as Bolt for JS names it, so a Bolt handler moves over with little
// change. Each kind of listener gets its own argument type; `kind` tells them apart in global
// middleware (`if (args.kind === 'event') args.event…`).
import type { SlackEvent as SlackTypesEvent } from '@slack/types';
import type { ChatPostMessageArguments, ChatPostMessageResponse, WebClient } from '@slack/web-api';
import type {
  BlockAction,
  BlockActionsPayload,
  BlockSuggestionPayload,
  EventCallbackPayload,
  EventOfType,
  GlobalShortcutPayload,
  KnownEvents,
  MessageEvent,
  MessageShortcutPayload,
  SlashCommandPayload,
  ViewClosedPayload,
  ViewPayload,
  ViewState,
  ViewSubmissionPayload,
} from '@socketworks/protocol';
import type { Logger } from '@socketworks/runtime';

export type NextFn = () => Promise<void>;

/**
 * Per-run facts about the payload, filled before any middleware runs. Middleware may add keys of
 * its own (as in Bolt).
 */
export interface Context {
  /** The workspace: `context_team_id`/`team_id` (events), `team_id` (commands), `team.id` (interactive; `view.app_installed_team_id` first for views). */
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall: boolean;
  /** The user who acted, when the payload names one. */
  userId?: string;
  /**
   * The bot token the installation store returned. Never log it. Absent for `app_uninstalled` and
   * `tokens_revoked` events, which are not authorized (as in Bolt: the installation may be gone).
   */
  botToken?: string;
  /** The app's bot user, when the payload tells it (events carry it in `authorizations`). */
  botUserId?: string;
  /** Slack's `retry_attempt` (0 on first delivery) and `retry_reason`. */
  retryNum: number;
  retryReason: string;
  /** The BullMQ job id (`ev-<event_id>` / `env-<envelope_id>`). */
  jobId: string;
  envelopeId: string;
  /** Set by `app.message(RegExp)`: the match of the message text. */
  matches?: RegExpExecArray;
  [key: string]: unknown;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A message for `say`: `channel` is filled in, as in Bolt. */
export type SayArguments = DistributiveOmit<ChatPostMessageArguments, 'channel'>;
export type SayFn = (message: string | SayArguments) => Promise<ChatPostMessageResponse>;

/** A `response_url` message (PROTOCOL.md §6). */
export interface RespondArguments {
  text?: string;
  blocks?: unknown[];
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  delete_original?: boolean;
  thread_ts?: string;
  [key: string]: unknown;
}
export interface RespondResult {
  status: number;
}
export type RespondFn = (message: string | RespondArguments) => Promise<RespondResult>;

/**
 * Records the ack answer (PROTOCOL.md §4.3) and hands it to `DispatchOptions.onAck` at once: on
 * the sync lane the worker publishes it to the connector, which is holding the envelope's ack and
 * sends the answer in it (within its budget). A string is sent as `{ text }`, as in Bolt.
 */
export type AckFn<R> = (response?: R | string) => Promise<void>;

/** Slash command ack: an immediate message. */
export interface CommandAckResponse {
  text?: string;
  blocks?: unknown[];
  response_type?: 'ephemeral' | 'in_channel';
  [key: string]: unknown;
}
/** view_submission ack: `response_action` (errors / update / push / clear). */
export interface ViewAckResponse {
  response_action?: 'errors' | 'update' | 'push' | 'clear';
  errors?: Record<string, string>;
  view?: Record<string, unknown>;
  [key: string]: unknown;
}
/** block_suggestion ack: options or option groups. */
export interface OptionsAckResponse {
  options?: unknown[];
  option_groups?: unknown[];
  [key: string]: unknown;
}

interface CommonArgs {
  client: WebClient;
  logger: Logger;
  context: Context;
  /** Posts to the payload's channel; rejects with `ERR_SAY_NO_CHANNEL` when it has none. */
  say: SayFn;
  /** POSTs to the payload's `response_url`; rejects with `ERR_RESPOND_NO_URL` when it has none. */
  respond: RespondFn;
}

/**
 * The event an `app.event(type)` listener gets: ours when `KnownEvents` has the type (narrowest),
 * else the type `@slack/types` gives it — what Bolt for JS gives the same listener, so Bolt code
 * like `event.user.id` in a `team_join` listener type-checks — else a generic event.
 */
export type ListenerEvent<T extends string> = string extends T
  ? EventOfType<T>
  : T extends keyof KnownEvents
    ? KnownEvents[T]
    : [Extract<SlackTypesEvent, { type: T }>] extends [never]
      ? EventOfType<T>
      : Extract<SlackTypesEvent, { type: T }>;

/** A view as listeners get it: `state` is always there (Slack sends it; `{ values: {} }` otherwise), as in Bolt's `ViewOutput`. */
export type ViewOutput = ViewPayload & { state: ViewState };

export interface EventArgs<T extends string = string> extends CommonArgs {
  kind: 'event';
  payload: ListenerEvent<T>;
  event: ListenerEvent<T>;
  /** The message, for `message` events (as in Bolt); undefined for other events. */
  message: T extends 'message' ? MessageEvent : string extends T ? MessageEvent | undefined : undefined;
  body: EventCallbackPayload<ListenerEvent<T>>;
  /** Events were acked by the connector already: a no-op that resolves. */
  ack: () => Promise<void>;
}

export interface MessageArgs extends CommonArgs {
  kind: 'event';
  payload: MessageEvent;
  event: MessageEvent;
  message: MessageEvent;
  body: EventCallbackPayload<MessageEvent>;
  ack: () => Promise<void>;
}

export interface CommandArgs extends CommonArgs {
  kind: 'command';
  payload: SlashCommandPayload;
  command: SlashCommandPayload;
  body: SlashCommandPayload;
  ack: AckFn<CommandAckResponse>;
}

export interface ActionArgs extends CommonArgs {
  kind: 'action';
  /** The first (in practice the only) action of the payload, as in Bolt. */
  payload: BlockAction;
  action: BlockAction;
  /** `trigger_id` is typed as always there, as in Bolt (Slack sends one with every `block_actions`). */
  body: BlockActionsPayload & { trigger_id: string };
  ack: AckFn<Record<string, unknown>>;
}

export interface ViewArgs extends CommonArgs {
  kind: 'view';
  payload: ViewOutput;
  view: ViewOutput;
  body: (ViewSubmissionPayload | ViewClosedPayload) & { view: ViewOutput };
  ack: AckFn<ViewAckResponse>;
}

export interface ShortcutArgs extends CommonArgs {
  kind: 'shortcut';
  payload: GlobalShortcutPayload | MessageShortcutPayload;
  shortcut: GlobalShortcutPayload | MessageShortcutPayload;
  body: GlobalShortcutPayload | MessageShortcutPayload;
  ack: AckFn<Record<string, unknown>>;
}

export interface OptionsArgs extends CommonArgs {
  kind: 'options';
  payload: BlockSuggestionPayload;
  options: BlockSuggestionPayload;
  body: BlockSuggestionPayload;
  ack: AckFn<OptionsAckResponse>;
}

/** What global middleware (`app.use`) sees: one of the above, told apart by `kind`. */
export type AnyListenerArgs = EventArgs | CommandArgs | ActionArgs | ViewArgs | ShortcutArgs | OptionsArgs;
export type ListenerKind = AnyListenerArgs['kind'];

/** A listener or a middleware in front of it. The last function of a chain does not call `next`. */
export type Middleware<Args> = (args: Args & { next: NextFn }) => unknown;

export interface ErrorHandlerExtras {
  logger: Logger;
  context: Context;
  body: unknown;
}
/** `app.error` handler. Return to swallow the error (the job completes); throw to fail the job. */
export type ErrorHandler = (error: Error & { code?: string }, extras: ErrorHandlerExtras) => unknown;

/** What `dispatch` reports. */
export interface DispatchResult {
  /** At least one listener ran. */
  handled: boolean;
  /** How many listeners matched and ran. */
  listeners: number;
  /** Whether a listener called `ack` (always false for events, whose ack is a no-op). */
  acked: boolean;
  /** The first `ack(response)` answer, when one was given. */
  ackResponse?: unknown;
}

export interface DispatchOptions {
  /** The job's logger (bound to `envelope_id`, job id, …); the app's logger when absent. */
  logger?: Logger;
  /**
   * Called once, at the first `ack()`, with its answer (awaited by that `ack()`): the sync lane
   * uses it to send the ack before the listener finishes. Its rejection fails the dispatch.
   */
  onAck?: (response: unknown) => unknown;
}
