// The Web API methods workers call (PROTOCOL.md §7), as functions from arguments to Slack's JSON
// answer. Arguments are checked the way Slack reports problems; success bodies have the fields
// Slack returns. Transport concerns (tokens, rate limits, body decoding) live in web-api.ts.
import { nextTs, randomHex, slackId } from './ids';
import type { TriggerRegistry } from './interactions';
import { isValidCursor, MessageStore, type Page, type ReadOptions } from './message-store';

export type MethodResult = { ok: true; [key: string]: unknown } | { ok: false; error: string; [key: string]: unknown };
type Args = Record<string, unknown>;

export interface WorkspaceIdentity {
  appId: string;
  teamId: string;
  botUserId: string;
  botId: string;
}

/** views.open refuses views over 250 kB (PROTOCOL.md §7). */
const MAX_VIEW_BYTES = 250 * 1024;
/** chat.postMessage truncates past 40,000 characters; chat.update refuses. We refuse both. */
const MAX_TEXT_CHARS = 40000;
/** Posted messages kept per channel for conversations.history / replies. */
const DEFAULT_MESSAGES_PER_CHANNEL = 10000;
/** conversations.history / replies: `limit` default and maximum. */
const DEFAULT_READ_LIMIT = 100;
const MAX_READ_LIMIT = 999;

function fail(error: string, ...messages: string[]): MethodResult {
  return messages.length > 0 ? { ok: false, error, response_metadata: { messages } } : { ok: false, error };
}

const missing = (field: string) => fail('invalid_arguments', `[ERROR] missing required field: ${field}`);

function isString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function isObject(v: unknown): v is Args {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkChannel(args: Args): MethodResult | undefined {
  if (!isString(args.channel)) return missing('channel');
  if (!/^[CDG]/.test(args.channel)) return fail('channel_not_found');
  return undefined;
}

/** text, blocks or attachments: at least one, each of the right shape. */
function checkContent(args: Args): MethodResult | undefined {
  const hasText = isString(args.text);
  if (!hasText && args.blocks === undefined && args.attachments === undefined) return missing('text');
  if (args.blocks !== undefined && !Array.isArray(args.blocks)) return fail('invalid_blocks_format');
  if (args.attachments !== undefined && !Array.isArray(args.attachments)) return fail('invalid_attachments');
  if (hasText && (args.text as string).length > MAX_TEXT_CHARS) return fail('msg_too_long');
  return undefined;
}

function checkMetadata(args: Args): MethodResult | undefined {
  if (args.metadata === undefined) return undefined;
  const m = args.metadata;
  if (!isObject(m) || !isString(m.event_type) || !isObject(m.event_payload)) return fail('invalid_metadata_format');
  return undefined;
}

/** A form value or a JSON one: `true`, `'true'`, `'1'`. */
const truthy = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;

/** The reading arguments of conversations.history / replies, or the error Slack would answer. */
function readOptions(args: Args): ReadOptions | string {
  const limitRaw = args.limit === undefined || args.limit === '' ? DEFAULT_READ_LIMIT : Number(args.limit);
  if (!Number.isInteger(limitRaw) || limitRaw < 1) return 'invalid_limit';
  const ts = (v: unknown): string | undefined => (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? v : typeof v === 'number' ? String(v) : undefined);
  const cursor = isString(args.cursor) ? args.cursor : undefined;
  if (cursor !== undefined && !isValidCursor(cursor)) return 'invalid_cursor';
  const oldest = ts(args.oldest);
  const latest = ts(args.latest);
  return {
    limit: Math.min(limitRaw, MAX_READ_LIMIT),
    includeAllMetadata: truthy(args.include_all_metadata),
    inclusive: truthy(args.inclusive),
    ...(oldest !== undefined ? { oldest } : {}),
    ...(latest !== undefined ? { latest } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
  };
}

function pageResult(page: Page, extra: Args): MethodResult {
  return {
    ok: true,
    messages: page.messages,
    has_more: page.hasMore,
    ...extra,
    response_metadata: { next_cursor: page.nextCursor },
  };
}

interface ViewRecord {
  hash: string;
  externalId: string;
}

export class WebMethods {
  private readonly views = new Map<string, ViewRecord>();
  private readonly byExternalId = new Map<string, string>();
  private readonly homeViews = new Map<string, string>();
  /** The bot's DM with each user it has posted to by user id (one D… id per user, kept). */
  private readonly directMessages = new Map<string, string>();
  readonly names: ReadonlySet<string>;
  private readonly table: Record<string, (args: Args) => MethodResult>;

  constructor(
    private readonly identity: WorkspaceIdentity,
    private readonly triggers: TriggerRegistry,
    private readonly messages: MessageStore = new MessageStore(DEFAULT_MESSAGES_PER_CHANNEL),
  ) {
    this.table = {
      'auth.test': () => this.authTest(),
      'chat.postMessage': (a) => this.postMessage(a),
      'chat.update': (a) => this.update(a),
      'chat.postEphemeral': (a) => this.postEphemeral(a),
      'views.open': (a) => this.openView(a),
      // Stack depth (push_limit_reached) is not tracked: a push is checked like an open.
      'views.push': (a) => this.openView(a),
      'views.update': (a) => this.updateView(a),
      'views.publish': (a) => this.publishView(a),
      'conversations.history': (a) => this.history(a),
      'conversations.replies': (a) => this.replies(a),
    };
    this.names = new Set(Object.keys(this.table));
  }

  call(method: string, args: Args): MethodResult {
    const handler = this.table[method];
    return handler ? handler(args) : fail('unknown_method');
  }

  private authTest(): MethodResult {
    const { teamId, botUserId, botId } = this.identity;
    return {
      ok: true,
      url: 'https://example-corp.slack.com/',
      team: 'Example Corp',
      user: 'socketworks',
      team_id: teamId,
      user_id: botUserId,
      bot_id: botId,
      is_enterprise_install: false,
    };
  }

  private botMessage(args: Args, ts: string): Args {
    const { appId, teamId, botUserId, botId } = this.identity;
    const message: Args = {
      user: botUserId,
      type: 'message',
      ts,
      bot_id: botId,
      app_id: appId,
      text: typeof args.text === 'string' ? args.text : '',
      team: teamId,
      bot_profile: { id: botId, app_id: appId, name: 'socketworks', deleted: false, team_id: teamId },
    };
    if (Array.isArray(args.blocks)) message.blocks = args.blocks;
    if (Array.isArray(args.attachments)) message.attachments = args.attachments;
    if (isString(args.thread_ts)) message.thread_ts = args.thread_ts;
    if (args.metadata !== undefined) message.metadata = args.metadata;
    return message;
  }

  /**
   * A user id (`U…`/`W…`) as the channel posts to the bot's DM with that user (its App Home
   * Messages tab), opened on first use; the answer names the DM's own `D…` id, as Slack's does
   * (https://docs.slack.dev/reference/methods/chat.postMessage, "channel").
   */
  private postMessage(args: Args): MethodResult {
    const user = typeof args.channel === 'string' && /^[UW][A-Z0-9]+$/.test(args.channel) ? args.channel : undefined;
    if (user && !this.directMessages.has(user)) this.directMessages.set(user, slackId('D'));
    const target = user ? { ...args, channel: this.directMessages.get(user) } : args;
    const problem = checkChannel(target) ?? checkContent(target) ?? checkMetadata(target);
    if (problem) return problem;
    const ts = nextTs();
    const message = this.botMessage(target, ts);
    const channel = target.channel as string;
    this.messages.add({ channel, ts, ...(isString(args.thread_ts) ? { threadTs: args.thread_ts } : {}), message: structuredClone(message) });
    return { ok: true, channel, ts, message };
  }

  /** conversations.history: `channel`; optional `oldest`, `latest`, `inclusive`, `limit`, `cursor`, `include_all_metadata`. */
  private history(args: Args): MethodResult {
    const problem = checkChannel(args);
    if (problem) return problem;
    const options = readOptions(args);
    if (typeof options === 'string') return fail(options);
    return pageResult(this.messages.history(args.channel as string, options), { pin_count: 0, channel_actions_ts: null, channel_actions_count: 0 });
  }

  /** conversations.replies: `channel`, `ts`; optional as history. Unknown thread → `thread_not_found`. */
  private replies(args: Args): MethodResult {
    const problem = checkChannel(args) ?? (isString(args.ts) ? undefined : missing('ts'));
    if (problem) return problem;
    const options = readOptions(args);
    if (typeof options === 'string') return fail(options);
    const page = this.messages.replies(args.channel as string, args.ts as string, options);
    return page ? pageResult(page, {}) : fail('thread_not_found');
  }

  private update(args: Args): MethodResult {
    const problem = checkChannel(args) ?? (isString(args.ts) ? undefined : missing('ts')) ?? checkContent(args);
    if (problem) return problem;
    if (!/^\d+\.\d+$/.test(args.ts as string)) return fail('message_not_found');
    const changes: Args = { text: typeof args.text === 'string' ? args.text : '', edited: { user: this.identity.botUserId, ts: nextTs() } };
    if (Array.isArray(args.blocks)) changes.blocks = args.blocks;
    this.messages.update(args.channel as string, args.ts as string, changes);
    return { ok: true, channel: args.channel, ts: args.ts, text: typeof args.text === 'string' ? args.text : '', message: this.botMessage(args, args.ts as string) };
  }

  private postEphemeral(args: Args): MethodResult {
    const problem = checkChannel(args) ?? (isString(args.user) ? undefined : missing('user')) ?? checkContent(args);
    if (problem) return problem;
    if (!/^[UW]/.test(args.user as string)) return fail('user_not_in_channel');
    return { ok: true, message_ts: nextTs() };
  }

  private checkView(args: Args, type: 'modal' | 'home'): MethodResult | undefined {
    if (args.view === undefined) return missing('view');
    if (!isObject(args.view)) return fail('invalid_arguments', '[ERROR] view must be a JSON object');
    if (args.view.type !== type) return fail('invalid_arguments', `[ERROR] view.type must be ${type}`);
    if (Buffer.byteLength(JSON.stringify(args.view)) > MAX_VIEW_BYTES) return fail('view_too_large');
    return undefined;
  }

  private openView(args: Args): MethodResult {
    const trigger = args.trigger_id ?? args.interactivity_pointer;
    const problem = (trigger === undefined ? missing('trigger_id') : undefined) ?? this.checkView(args, 'modal');
    if (problem) return problem;
    const check = this.triggers.check(trigger);
    if (check !== 'ok') return fail(check);
    const view = args.view as Args;
    const externalId = isString(view.external_id) ? view.external_id : '';
    if (externalId && this.byExternalId.has(externalId)) return fail('duplicate_external_id');
    this.triggers.exchange(trigger as string);
    const id = slackId('V');
    return { ok: true, view: this.store(id, view, externalId) };
  }

  private updateView(args: Args): MethodResult {
    const problem = this.checkView(args, 'modal');
    if (problem) return problem;
    let id: string | undefined;
    if (isString(args.view_id)) {
      id = args.view_id;
      // Views opened outside the simulator (a payload factory's view id) are taken as existing.
      if (!this.views.has(id) && !/^V[A-Z0-9]+$/.test(id)) return fail('not_found');
    } else if (isString(args.external_id)) {
      id = this.byExternalId.get(args.external_id);
      if (!id) return fail('not_found');
    } else {
      return missing('view_id');
    }
    const known = this.views.get(id);
    if (known && isString(args.hash) && args.hash !== known.hash) return fail('hash_conflict');
    const view = args.view as Args;
    const externalId = known?.externalId ?? (isString(args.external_id) ? args.external_id : '');
    return { ok: true, view: this.store(id, view, externalId) };
  }

  private publishView(args: Args): MethodResult {
    const problem = (isString(args.user_id) ? undefined : missing('user_id')) ?? this.checkView(args, 'home');
    if (problem) return problem;
    const userId = args.user_id as string;
    let id = this.homeViews.get(userId);
    const known = id ? this.views.get(id) : undefined;
    if (known && isString(args.hash) && args.hash !== known.hash) return fail('hash_conflict');
    if (!id) {
      id = slackId('V');
      this.homeViews.set(userId, id);
    }
    return { ok: true, view: this.store(id, args.view as Args, '') };
  }

  /** Records the view under a new hash and returns it the way Slack echoes views. */
  private store(id: string, view: Args, externalId: string): Args {
    const hash = `${Math.floor(Date.now() / 1000)}.${randomHex(4)}`;
    this.views.set(id, { hash, externalId });
    if (externalId) this.byExternalId.set(externalId, id);
    const { appId, teamId, botId } = this.identity;
    return {
      id,
      team_id: teamId,
      type: view.type,
      blocks: Array.isArray(view.blocks) ? view.blocks : [],
      private_metadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
      callback_id: typeof view.callback_id === 'string' ? view.callback_id : '',
      state: { values: {} },
      hash,
      title: view.title ?? null,
      clear_on_close: view.clear_on_close === true,
      notify_on_close: view.notify_on_close === true,
      close: view.close ?? null,
      submit: view.submit ?? null,
      previous_view_id: null,
      root_view_id: id,
      app_id: appId,
      external_id: externalId,
      app_installed_team_id: teamId,
      bot_id: botId,
    };
  }
}
