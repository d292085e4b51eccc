// The offered load: envelopes numbered by a sequence number that the example app's answers echo
// back, so each answer (a chat.postMessage or a response_url POST) is matched to the envelope it
// answers without any state shared with the system under test.
import { appMentionPayload, blockActionsPayload, PAYLOAD_DEFAULTS, slashCommandPayload, type InjectInput } from '@socketworks/slack-sim';

/**
 * `events`: app mentions only. `mixed`: of every 20 envelopes 18 app mentions, one `/echo` and one
 * button click (block_actions): the three things the example app answers.
 */
export type Mix = 'events' | 'mixed';

const MARK = /bench[ -](\d+)/;

/** The sequence number in a text the app echoes (`You said: <@U…> bench 12`, `Echo: bench 12`, `You clicked: bench-12`). */
export function seqFromText(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = MARK.exec(text);
  return m ? Number(m[1]) : undefined;
}

const EVENT_ID_PREFIX = 'EvBENCH';

/** The sequence number of a delivered payload, whatever its kind; undefined for foreign payloads. */
export function seqFromPayload(payload: Record<string, unknown>): number | undefined {
  const eventId = payload.event_id;
  if (typeof eventId === 'string') {
    return eventId.startsWith(EVENT_ID_PREFIX) ? Number(eventId.slice(EVENT_ID_PREFIX.length)) : undefined;
  }
  if (payload.command !== undefined) return seqFromText(payload.text);
  const actions = payload.actions;
  if (Array.isArray(actions)) return seqFromText((actions[0] as { value?: unknown } | undefined)?.value);
  return undefined;
}

/** Makes envelope `seq` from templates built once (building a payload from scratch costs more). */
export class EnvelopeFactory {
  private readonly mention = appMentionPayload({ text: 'template' });
  private readonly slash = slashCommandPayload({ command: '/echo', text: 'template' });
  private readonly click = blockActionsPayload({ actions: [{ action_id: 'bench_button', value: 'template' }] });
  private readonly baseSeconds = Math.floor(Date.now() / 1000);

  constructor(private readonly mix: Mix) {}

  kindOf(seq: number): 'app_mention' | 'slash' | 'block_actions' {
    if (this.mix === 'events') return 'app_mention';
    const r = seq % 20;
    return r === 7 ? 'slash' : r === 17 ? 'block_actions' : 'app_mention';
  }

  make(seq: number): InjectInput {
    switch (this.kindOf(seq)) {
      case 'slash':
        return { type: 'slash_commands', payload: { ...this.slash, text: `bench ${seq}` } };
      case 'block_actions': {
        const actions = this.click.actions as Array<Record<string, unknown>>;
        return { type: 'interactive', payload: { ...this.click, actions: [{ ...actions[0], value: `bench-${seq}` }] } };
      }
      case 'app_mention': {
        const ts = `${this.baseSeconds + Math.floor(seq / 1e6)}.${String(seq % 1e6).padStart(6, '0')}`;
        const event = this.mention.event as Record<string, unknown>;
        return {
          type: 'events_api',
          payload: {
            ...this.mention,
            event_id: `${EVENT_ID_PREFIX}${seq}`,
            event: { ...event, text: `<@${PAYLOAD_DEFAULTS.botUserId}> bench ${seq}`, ts, event_ts: ts },
          },
        };
      }
    }
  }
}
