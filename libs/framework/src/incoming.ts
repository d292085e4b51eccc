// Turns job data into one kind of incoming payload. The envelope's `type` decides where to look,
// then the payload's own `type` (interactive) — never the payload's shape (STYLE.md, bolt-js notes).
// The fields each kind reads are checked here, so a malformed payload is "unroutable", not a crash.
import type {
  BlockAction,
  BlockActionsPayload,
  BlockSuggestionPayload,
  EventCallbackPayload,
  GlobalShortcutPayload,
  MessageShortcutPayload,
  SlackEvent,
  SlackJobData,
  SlashCommandPayload,
  ViewClosedPayload,
  ViewSubmissionPayload,
} from '@socketworks/protocol';

export type Incoming =
  | { kind: 'event'; body: EventCallbackPayload<SlackEvent>; event: SlackEvent }
  | { kind: 'command'; body: SlashCommandPayload }
  | { kind: 'action'; body: BlockActionsPayload; action: BlockAction }
  | { kind: 'view'; body: ViewSubmissionPayload | ViewClosedPayload }
  | { kind: 'shortcut'; body: GlobalShortcutPayload | MessageShortcutPayload }
  | { kind: 'options'; body: BlockSuggestionPayload };

export type Unroutable = { kind: 'unroutable'; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** A payload's type for a log line: what the sender wrote, so cut short, and never converted (that can throw). */
function typeOf(type: unknown): string {
  if (typeof type === 'string') return JSON.stringify(type.slice(0, 64));
  return type === undefined ? '(none)' : `(JSON ${type === null ? 'null' : typeof type})`;
}

export function toIncoming(data: Pick<SlackJobData, 'type' | 'payload'>): Incoming | Unroutable {
  const p = data.payload;
  switch (data.type) {
    case 'events_api': {
      // Events API payloads without an inner event (app_rate_limited, …) have no listener kind.
      if (p.type !== 'event_callback') return { kind: 'unroutable', reason: `events_api payload of type ${typeOf(p.type)}` };
      if (!isObject(p.event) || !isString(p.event.type)) return { kind: 'unroutable', reason: 'event_callback without event.type' };
      const body = p as unknown as EventCallbackPayload<SlackEvent>;
      return { kind: 'event', body, event: body.event };
    }
    case 'slash_commands':
      if (!isString(p.command)) return { kind: 'unroutable', reason: 'slash command without command' };
      return { kind: 'command', body: p as unknown as SlashCommandPayload };
    case 'interactive':
      return interactive(p);
  }
}

function interactive(p: Record<string, unknown>): Incoming | Unroutable {
  switch (p.type) {
    case 'block_actions': {
      const first: unknown = Array.isArray(p.actions) ? p.actions[0] : undefined;
      if (!isObject(first)) return { kind: 'unroutable', reason: 'block_actions without actions' };
      const body = p as unknown as BlockActionsPayload;
      return { kind: 'action', body, action: first as BlockAction };
    }
    case 'view_submission':
    case 'view_closed':
      if (!isObject(p.view)) return { kind: 'unroutable', reason: `${p.type} without view` };
      return { kind: 'view', body: p as unknown as ViewSubmissionPayload | ViewClosedPayload };
    case 'shortcut':
    case 'message_action':
      if (!isString(p.callback_id)) return { kind: 'unroutable', reason: `${p.type} without callback_id` };
      return { kind: 'shortcut', body: p as unknown as GlobalShortcutPayload | MessageShortcutPayload };
    case 'block_suggestion':
      if (!isString(p.action_id)) return { kind: 'unroutable', reason: 'block_suggestion without action_id' };
      return { kind: 'options', body: p as unknown as BlockSuggestionPayload };
    default:
      // interactive_message, dialog_*, workflow_step_*: legacy kinds with no listener here.
      return { kind: 'unroutable', reason: `interactive payload of type ${typeOf(p.type)}` };
  }
}

/** Who and where: the facts `context` and `authorize` need, per kind (PROTOCOL.md §8). */
export interface Identity {
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall: boolean;
  userId?: string;
  botUserId?: string;
}

const str = (v: unknown): string | undefined => (isString(v) && v.length > 0 ? v : undefined);

export function identityOf(incoming: Incoming): Identity {
  switch (incoming.kind) {
    case 'event': {
      const b = incoming.body;
      const auth = Array.isArray(b.authorizations) ? b.authorizations.find((a) => isObject(a) && a.is_bot) : undefined;
      const e = incoming.event as Record<string, unknown>;
      return {
        teamId: str(b.context_team_id) ?? str(b.team_id),
        enterpriseId: str(b.context_enterprise_id) ?? str(b.enterprise_id),
        isEnterpriseInstall: auth?.is_enterprise_install === true,
        userId: str(e.user) ?? (isObject(e.user) ? str(e.user.id) : undefined),
        botUserId: str(auth?.user_id),
      };
    }
    case 'command': {
      const b = incoming.body;
      return {
        teamId: str(b.team_id),
        enterpriseId: str(b.enterprise_id),
        // Slash command fields are form strings.
        isEnterpriseInstall: String(b.is_enterprise_install) === 'true',
        userId: str(b.user_id),
      };
    }
    case 'view': {
      const b = incoming.body;
      // A modal opened from a Slack Connect channel is submitted from the user's workspace; the
      // app's installation is `view.app_installed_team_id` (as Bolt authorizes it).
      const installed = str((b.view as { app_installed_team_id?: unknown } | undefined)?.app_installed_team_id);
      return {
        teamId: installed ?? str(b.team?.id) ?? str(b.user?.team_id),
        enterpriseId: str(b.enterprise?.id),
        isEnterpriseInstall: b.is_enterprise_install === true,
        userId: str(b.user?.id),
      };
    }
    default: {
      const b = incoming.body;
      return {
        teamId: str(b.team?.id) ?? str(b.user?.team_id),
        enterpriseId: str(b.enterprise?.id),
        isEnterpriseInstall: b.is_enterprise_install === true,
        userId: str(b.user?.id),
      };
    }
  }
}

/** The channel `say` posts to, or undefined when the payload names none. */
export function channelOf(incoming: Incoming): string | undefined {
  switch (incoming.kind) {
    case 'event': {
      const e = incoming.event as Record<string, unknown>;
      if (isString(e.channel)) return e.channel;
      if (isObject(e.channel) && isString(e.channel.id)) return e.channel.id;
      if (isObject(e.item) && isString(e.item.channel)) return e.item.channel;
      return str(e.channel_id);
    }
    case 'command':
      return str(incoming.body.channel_id);
    case 'action':
      return str(incoming.body.channel?.id) ?? str(incoming.body.container?.channel_id);
    case 'shortcut':
      return incoming.body.type === 'message_action' ? str(incoming.body.channel?.id) : undefined;
    default:
      return undefined;
  }
}

/** The `response_url` `respond` posts to, or undefined (PROTOCOL.md §6). */
export function responseUrlOf(incoming: Incoming): string | undefined {
  switch (incoming.kind) {
    case 'command':
    case 'action':
      return str(incoming.body.response_url);
    case 'shortcut':
      return incoming.body.type === 'message_action' ? str(incoming.body.response_url) : undefined;
    case 'view':
      return incoming.body.type === 'view_submission' ? str(incoming.body.response_urls?.[0]?.response_url) : undefined;
    default:
      return undefined;
  }
}
