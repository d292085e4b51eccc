// Payload factories shaped like /work/shared/slack/fixtures (same keys, same nesting), with fresh
// ids on every call. trigger_id and response_url are placeholders: the simulator replaces them
// with live ones when the payload is injected.
import { randomUUID } from 'node:crypto';
import { nextTs, randomHex, slackId, triggerId } from './ids';
import type { InjectInput } from './types';

/** The deprecated verification token Slack still puts in payloads (the connector scrubs it). */
export const VERIFICATION_TOKEN = 'FAKEverificationTOKEN0001';

export interface PayloadDefaults {
  teamId: string;
  appId: string;
  botUserId: string;
  botId: string;
  userId: string;
  userName: string;
  teamDomain: string;
}

export const DEFAULTS: Readonly<PayloadDefaults> = Object.freeze({
  teamId: 'T0000001',
  appId: 'A0000001',
  botUserId: 'U0000002',
  botId: 'B0000001',
  userId: 'U0000001',
  userName: 'jane.doe',
  teamDomain: 'example-corp',
});

type Json = Record<string, unknown>;

function placeholderResponseUrl(kind: 'commands' | 'actions' | 'app'): string {
  return `https://hooks.slack.com/${kind}/${DEFAULTS.teamId}/1000000001/${randomHex(12)}`;
}

/** rich_text blocks for a message text; a leading `<@U…>` becomes a user element, as Slack does. */
function richTextBlocks(text: string): Json[] {
  const elements: Json[] = [];
  const mention = /^<@([A-Z0-9]+)>/.exec(text);
  let rest = text;
  if (mention) {
    elements.push({ type: 'user', user_id: mention[1] });
    rest = text.slice(mention[0].length);
  }
  if (rest.length > 0) elements.push({ type: 'text', text: rest });
  return [{ type: 'rich_text', block_id: randomHex(3), elements: [{ type: 'rich_text_section', elements }] }];
}

function eventCallback(event: Json, eventId: string | undefined, ts: string): Json {
  return {
    token: VERIFICATION_TOKEN,
    team_id: DEFAULTS.teamId,
    context_team_id: DEFAULTS.teamId,
    context_enterprise_id: null,
    api_app_id: DEFAULTS.appId,
    event,
    type: 'event_callback',
    event_id: eventId ?? slackId('Ev'),
    event_time: Math.floor(Number(ts)),
    authorizations: [
      { enterprise_id: null, team_id: DEFAULTS.teamId, user_id: DEFAULTS.botUserId, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
    event_context: slackId('EC'),
  };
}

export interface AppMentionOptions {
  text: string;
  channel?: string;
  user?: string;
  eventId?: string;
  ts?: string;
  threadTs?: string;
}

/** An `event_callback` carrying `app_mention` (fixtures/events_api_app_mention.json). */
export function appMentionPayload(options: AppMentionOptions): Json {
  const ts = options.ts ?? nextTs();
  const event: Json = {
    client_msg_id: randomUUID(),
    type: 'app_mention',
    text: options.text,
    user: options.user ?? DEFAULTS.userId,
    ts,
    team: DEFAULTS.teamId,
    blocks: richTextBlocks(options.text),
    channel: options.channel ?? 'C0000001',
    event_ts: ts,
  };
  if (options.threadTs) event.thread_ts = options.threadTs;
  return eventCallback(event, options.eventId, ts);
}

export interface MessageOptions {
  text: string;
  /** @defaultValue 'D0000001' (or C/G per channelType) */
  channel?: string;
  /** @defaultValue from the channel's first letter: C channel, G group, D im */
  channelType?: 'im' | 'channel' | 'group' | 'mpim';
  eventId?: string;
  user?: string;
  ts?: string;
  threadTs?: string;
}

const CHANNEL_FOR_TYPE = { im: 'D0000001', channel: 'C0000001', group: 'G0000001', mpim: 'G0000002' } as const;

function channelTypeOf(channel: string): 'im' | 'channel' | 'group' {
  if (channel.startsWith('C')) return 'channel';
  if (channel.startsWith('G')) return 'group';
  return 'im';
}

/** An `event_callback` carrying a user `message` (fixtures/events_api_message_im.json). */
export function messagePayload(options: MessageOptions): Json {
  const ts = options.ts ?? nextTs();
  const channel = options.channel ?? CHANNEL_FOR_TYPE[options.channelType ?? 'im'];
  const event: Json = {
    client_msg_id: randomUUID(),
    type: 'message',
    text: options.text,
    user: options.user ?? DEFAULTS.userId,
    ts,
    team: DEFAULTS.teamId,
    blocks: richTextBlocks(options.text),
    channel,
    event_ts: ts,
    channel_type: options.channelType ?? channelTypeOf(channel),
  };
  if (options.threadTs) event.thread_ts = options.threadTs;
  return eventCallback(event, options.eventId, ts);
}

export interface SlashCommandOptions {
  command: string;
  text: string;
  channelId?: string;
  userId?: string;
}

/** Slash command fields as JSON strings (fixtures/slash_commands.json). */
export function slashCommandPayload(options: SlashCommandOptions): Json {
  return {
    token: VERIFICATION_TOKEN,
    team_id: DEFAULTS.teamId,
    team_domain: DEFAULTS.teamDomain,
    channel_id: options.channelId ?? 'C0000001',
    channel_name: 'deploys',
    user_id: options.userId ?? DEFAULTS.userId,
    user_name: DEFAULTS.userName,
    command: options.command,
    text: options.text,
    api_app_id: DEFAULTS.appId,
    response_url: placeholderResponseUrl('commands'),
    trigger_id: triggerId(),
  };
}

function user(): Json {
  return { id: DEFAULTS.userId, username: DEFAULTS.userName, name: DEFAULTS.userName, team_id: DEFAULTS.teamId };
}

function team(): Json {
  return { id: DEFAULTS.teamId, domain: DEFAULTS.teamDomain };
}

function plainText(text: string): Json {
  return { type: 'plain_text', text, emoji: true };
}

export interface BlockActionInput {
  action_id: string;
  value?: string;
  block_id?: string;
  /** @defaultValue 'button' */
  type?: string;
}

export interface BlockActionsOptions {
  actions: BlockActionInput[];
  channelId?: string;
  /** ts of the message holding the buttons. @defaultValue a fresh ts */
  messageTs?: string;
}

/** `block_actions` from buttons in a bot message (fixtures/interactive_block_actions.json). */
export function blockActionsPayload(options: BlockActionsOptions): Json {
  const channelId = options.channelId ?? 'C0000001';
  const messageTs = options.messageTs ?? nextTs();
  const actionTs = nextTs();
  const actions = options.actions.map((a) => {
    const action: Json = {
      action_id: a.action_id,
      block_id: a.block_id ?? 'actions_block',
      text: plainText(a.action_id),
      type: a.type ?? 'button',
      action_ts: actionTs,
    };
    if (a.value !== undefined) action.value = a.value;
    return action;
  });
  const blockIds = [...new Set(actions.map((a) => String(a.block_id)))];
  return {
    type: 'block_actions',
    user: user(),
    api_app_id: DEFAULTS.appId,
    token: VERIFICATION_TOKEN,
    container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: triggerId(),
    team: team(),
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: 'deploys' },
    message: {
      bot_id: DEFAULTS.botId,
      type: 'message',
      text: 'Choose an action',
      user: DEFAULTS.botUserId,
      ts: messageTs,
      team: DEFAULTS.teamId,
      blocks: blockIds.map((blockId) => ({
        type: 'actions',
        block_id: blockId,
        elements: options.actions
          .filter((a) => (a.block_id ?? 'actions_block') === blockId)
          .map((a) => ({ type: a.type ?? 'button', action_id: a.action_id, text: plainText(a.action_id), ...(a.value !== undefined ? { value: a.value } : {}) })),
      })),
    },
    state: { values: {} },
    response_url: placeholderResponseUrl('actions'),
    actions,
  };
}

interface ModalOptions {
  id: string;
  callbackId: string;
  blocks: Json[];
  privateMetadata: string;
  values: Json;
  submit: string;
}

function modalView(o: ModalOptions): Json {
  return {
    id: o.id,
    team_id: DEFAULTS.teamId,
    type: 'modal',
    blocks: o.blocks,
    private_metadata: o.privateMetadata,
    callback_id: o.callbackId,
    state: { values: o.values },
    hash: `${Math.floor(Date.now() / 1000)}.${randomHex(4)}`,
    title: plainText('Deploy'),
    clear_on_close: false,
    notify_on_close: false,
    close: plainText('Cancel'),
    submit: plainText(o.submit),
    previous_view_id: null,
    root_view_id: o.id,
    app_id: DEFAULTS.appId,
    external_id: '',
    app_installed_team_id: DEFAULTS.teamId,
    bot_id: DEFAULTS.botId,
  };
}

export interface BlockSuggestionOptions {
  action_id: string;
  value: string;
  /** @defaultValue `<action_id>_block` */
  block_id?: string;
}

/** `block_suggestion` from an external select in a modal (fixtures/interactive_block_suggestion.json). */
export function blockSuggestionPayload(options: BlockSuggestionOptions): Json {
  const viewId = slackId('V');
  const blockId = options.block_id ?? `${options.action_id}_block`;
  return {
    type: 'block_suggestion',
    user: user(),
    container: { type: 'view', view_id: viewId },
    api_app_id: DEFAULTS.appId,
    token: VERIFICATION_TOKEN,
    action_id: options.action_id,
    block_id: blockId,
    value: options.value,
    team: team(),
    enterprise: null,
    is_enterprise_install: false,
    view: modalView({
      id: viewId,
      callbackId: 'suggestion_modal',
      blocks: [
        {
          type: 'input',
          block_id: blockId,
          label: plainText('Pick one'),
          optional: false,
          element: { type: 'external_select', action_id: options.action_id, min_query_length: 1, placeholder: plainText('Pick one') },
        },
      ],
      privateMetadata: '',
      values: {},
      submit: 'Next',
    }),
  };
}

export type ViewStateValues = Record<string, Record<string, { type: string; value?: string | null; [key: string]: unknown }>>;

export interface ViewSubmissionOptions {
  callback_id: string;
  values: ViewStateValues;
  privateMetadata?: string;
  /** response_urls the modal asked for (response_url_enabled), each replaced by a live URL on inject. */
  responseUrlChannels?: Array<{ block_id: string; action_id: string; channel_id: string }>;
}

function inputBlocks(values: ViewStateValues): Json[] {
  const blocks: Json[] = [];
  for (const [blockId, actions] of Object.entries(values)) {
    for (const [actionId, state] of Object.entries(actions)) {
      blocks.push({ type: 'input', block_id: blockId, label: plainText(blockId), optional: false, element: { type: state.type, action_id: actionId } });
    }
  }
  return blocks;
}

/** `view_submission` of a modal (fixtures/interactive_view_submission.json). */
export function viewSubmissionPayload(options: ViewSubmissionOptions): Json {
  return {
    type: 'view_submission',
    team: team(),
    user: user(),
    api_app_id: DEFAULTS.appId,
    token: VERIFICATION_TOKEN,
    trigger_id: triggerId(),
    view: modalView({
      id: slackId('V'),
      callbackId: options.callback_id,
      blocks: inputBlocks(options.values),
      privateMetadata: options.privateMetadata ?? '',
      values: options.values,
      submit: 'Submit',
    }),
    response_urls: (options.responseUrlChannels ?? []).map((r) => ({ ...r, response_url: placeholderResponseUrl('app') })),
    is_enterprise_install: false,
    enterprise: null,
  };
}

export interface ViewClosedOptions {
  callback_id: string;
  privateMetadata?: string;
  /** true when the whole view stack was closed. @defaultValue false */
  isCleared?: boolean;
}

/** `view_closed` (sent when a modal with notify_on_close is dismissed); it has no trigger_id. */
export function viewClosedPayload(options: ViewClosedOptions): Json {
  const view = modalView({
    id: slackId('V'),
    callbackId: options.callback_id,
    blocks: [],
    privateMetadata: options.privateMetadata ?? '',
    values: {},
    submit: 'Submit',
  });
  view.notify_on_close = true;
  return {
    type: 'view_closed',
    team: team(),
    user: user(),
    api_app_id: DEFAULTS.appId,
    token: VERIFICATION_TOKEN,
    view,
    is_cleared: options.isCleared ?? false,
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** A global shortcut (fixtures/interactive_shortcut.json); no response_url, as Slack. */
export function globalShortcutPayload(options: { callback_id: string }): Json {
  return {
    type: 'shortcut',
    token: VERIFICATION_TOKEN,
    action_ts: nextTs(),
    team: team(),
    user: { id: DEFAULTS.userId, username: DEFAULTS.userName, team_id: DEFAULTS.teamId },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: options.callback_id,
    trigger_id: triggerId(),
  };
}

export interface MessageShortcutOptions {
  callback_id: string;
  /** Text of the message the shortcut was used on. */
  text?: string;
  channelId?: string;
}

/** A message shortcut (`message_action`, fixtures/interactive_message_action.json). */
export function messageShortcutPayload(options: MessageShortcutOptions): Json {
  const text = options.text ?? '<@U0000002> deploy status';
  const messageTs = nextTs();
  const channelId = options.channelId ?? 'C0000001';
  return {
    type: 'message_action',
    token: VERIFICATION_TOKEN,
    action_ts: nextTs(),
    team: team(),
    user: { id: DEFAULTS.userId, username: DEFAULTS.userName, team_id: DEFAULTS.teamId, name: DEFAULTS.userName },
    channel: { id: channelId, name: 'deploys' },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: options.callback_id,
    trigger_id: triggerId(),
    message_ts: messageTs,
    message: {
      client_msg_id: randomUUID(),
      type: 'message',
      text,
      user: DEFAULTS.userId,
      ts: messageTs,
      team: DEFAULTS.teamId,
      blocks: richTextBlocks(text),
    },
    response_url: placeholderResponseUrl('app'),
  };
}

/**
 * The i-th copy of a template for a stream: events get a fresh event_id, ts and `text #i`;
 * interactive payloads a fresh action_ts (trigger_id, response_url and envelope_id are fresh anyway).
 */
export function varyInjectInput(template: InjectInput, i: number): InjectInput {
  const payload: Json = { ...template.payload };
  if (template.type === 'events_api') {
    const ts = nextTs();
    payload.event_id = slackId('Ev');
    payload.event_time = Math.floor(Number(ts));
    const event = payload.event;
    if (event && typeof event === 'object' && !Array.isArray(event)) {
      const e: Json = { ...(event as Json), ts, event_ts: ts };
      if (typeof e.text === 'string') e.text = `${e.text} #${i}`;
      if (typeof e.client_msg_id === 'string') e.client_msg_id = randomUUID();
      payload.event = e;
    }
  } else if (typeof payload.action_ts === 'string') {
    payload.action_ts = nextTs();
  } else if (Array.isArray(payload.actions)) {
    const actionTs = nextTs();
    payload.actions = (payload.actions as unknown[]).map((a) => (a && typeof a === 'object' ? { ...(a as Json), action_ts: actionTs } : a));
  }
  return { ...template, payload };
}
