// Shapes of the Slack payloads the product reads (the same over Socket Mode and HTTP, PROTOCOL.md
// §5). Only the fields we use are typed; Slack adds fields freely, so every shape stays open.

export interface AppMentionEvent {
  type: 'app_mention';
  user: string;
  text: string;
  ts: string;
  channel: string;
  event_ts: string;
  thread_ts?: string;
  team?: string;
}

export interface MessageEvent {
  type: 'message';
  subtype?: string;
  user?: string;
  text?: string;
  ts: string;
  channel: string;
  channel_type?: string;
  event_ts: string;
  thread_ts?: string;
  bot_id?: string;
}

export interface GenericEvent {
  type: string;
  [key: string]: unknown;
}

/** Known events by `type`, so listeners get a narrowed event. */
export interface KnownEvents {
  app_mention: AppMentionEvent;
  message: MessageEvent;
}

export type SlackEvent = AppMentionEvent | MessageEvent | GenericEvent;
export type EventOfType<T extends string> = T extends keyof KnownEvents ? KnownEvents[T] : GenericEvent & { type: T };

export interface EventCallbackPayload<E = SlackEvent> {
  type: 'event_callback';
  team_id: string;
  api_app_id: string;
  event: E;
  event_id: string;
  event_time: number;
  event_context?: string;
  context_team_id?: string | null;
  context_enterprise_id?: string | null;
  enterprise_id?: string | null;
  authorizations?: Array<{ enterprise_id: string | null; team_id: string | null; user_id: string; is_bot: boolean; is_enterprise_install?: boolean }>;
  [key: string]: unknown;
}

/** Slash command fields, as strings (PROTOCOL.md §5). */
export interface SlashCommandPayload {
  command: string;
  text: string;
  team_id: string;
  team_domain?: string;
  enterprise_id?: string;
  channel_id: string;
  channel_name?: string;
  user_id: string;
  user_name?: string;
  response_url: string;
  trigger_id: string;
  api_app_id: string;
  [key: string]: unknown;
}

export interface BlockAction {
  type: string;
  action_id: string;
  block_id: string;
  action_ts: string;
  value?: string;
  selected_option?: { value: string; text?: unknown };
  [key: string]: unknown;
}

interface InteractiveBase {
  user: { id: string; username?: string; name?: string; team_id?: string };
  team: { id: string; domain?: string } | null;
  enterprise?: { id: string; name?: string } | null;
  is_enterprise_install?: boolean;
  api_app_id?: string;
  trigger_id?: string;
  [key: string]: unknown;
}

export interface ViewState {
  values: Record<string, Record<string, { type: string; value?: string | null; selected_option?: { value: string } | null; [key: string]: unknown }>>;
}

export interface ViewPayload {
  id: string;
  type: string;
  callback_id: string;
  private_metadata?: string;
  hash?: string;
  state?: ViewState;
  blocks?: unknown[];
  [key: string]: unknown;
}

export interface BlockActionsPayload extends InteractiveBase {
  type: 'block_actions';
  actions: BlockAction[];
  response_url?: string;
  channel?: { id: string; name?: string };
  container?: Record<string, unknown>;
  message?: Record<string, unknown>;
  view?: ViewPayload;
}

export interface BlockSuggestionPayload extends InteractiveBase {
  type: 'block_suggestion';
  action_id: string;
  block_id: string;
  value: string;
  view?: ViewPayload;
}

export interface ViewSubmissionPayload extends InteractiveBase {
  type: 'view_submission';
  view: ViewPayload;
  response_urls?: Array<{ block_id: string; action_id: string; channel_id: string; response_url: string }>;
}

export interface ViewClosedPayload extends InteractiveBase {
  type: 'view_closed';
  view: ViewPayload;
  is_cleared?: boolean;
}

export interface GlobalShortcutPayload extends InteractiveBase {
  type: 'shortcut';
  callback_id: string;
  trigger_id: string;
  action_ts?: string;
}

export interface MessageShortcutPayload extends InteractiveBase {
  type: 'message_action';
  callback_id: string;
  trigger_id: string;
  response_url?: string;
  message: Record<string, unknown>;
  channel?: { id: string; name?: string };
}

export type InteractivePayload =
  | BlockActionsPayload
  | BlockSuggestionPayload
  | ViewSubmissionPayload
  | ViewClosedPayload
  | GlobalShortcutPayload
  | MessageShortcutPayload;
