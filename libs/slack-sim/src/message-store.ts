// Messages the app posted (chat.postMessage), per channel, so conversations.history and
// conversations.replies can answer the way Slack does: history newest first with top-level messages
// only, replies oldest first (parent, then replies), `metadata` only with include_all_metadata,
// cursor pagination with `has_more` and `response_metadata.next_cursor`.
// Messages the simulator did not see posted (the user messages in injected events) are not stored:
// a thread under such a parent answers its replies without the parent.

type Args = Record<string, unknown>;

export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  /** The message as Slack shows it, `metadata` included. */
  message: Args;
}

export interface ReadOptions {
  oldest?: string;
  latest?: string;
  inclusive?: boolean;
  limit: number;
  cursor?: string;
  includeAllMetadata: boolean;
}

export interface Page {
  messages: Args[];
  hasMore: boolean;
  nextCursor: string;
}

/** Slack timestamps compare as numbers; `1700000000.000100` has 6 decimals. */
const tsValue = (ts: string): number => Number(ts);

export class MessageStore {
  readonly #byChannel = new Map<string, StoredMessage[]>();

  /** @param maxPerChannel messages kept per channel; the oldest are forgotten past it. */
  constructor(private readonly maxPerChannel: number) {}

  add(stored: StoredMessage): void {
    let list = this.#byChannel.get(stored.channel);
    if (!list) {
      list = [];
      this.#byChannel.set(stored.channel, list);
    }
    list.push(stored);
    // Trimmed a quarter at a time: cutting the oldest one off a full list on every post moved the
    // whole list each time (~50 µs per post at 10,000, the simulator's busiest path in the
    // benchmark). Reads see the newest maxPerChannel only (#kept), so the cap stays exact.
    if (list.length > this.maxPerChannel + Math.max(1, Math.floor(this.maxPerChannel / 4))) list.splice(0, list.length - this.maxPerChannel);
  }

  /** The channel's messages within the cap, oldest first. */
  #kept(channel: string): StoredMessage[] {
    const list = this.#byChannel.get(channel) ?? [];
    return list.length > this.maxPerChannel ? list.slice(list.length - this.maxPerChannel) : list;
  }

  /** Replaces a stored message's text/blocks (chat.update); false if it is not stored. */
  update(channel: string, ts: string, changes: Args): boolean {
    const found = this.#kept(channel).find((m) => m.ts === ts);
    if (!found) return false;
    Object.assign(found.message, changes);
    return true;
  }

  /** conversations.history: top-level messages (not thread replies), newest first. */
  history(channel: string, options: ReadOptions): Page {
    const all = this.#kept(channel);
    const topLevel = all.filter((m) => !m.threadTs || m.threadTs === m.ts);
    const inRange = within(topLevel, options).reverse();
    return this.#page(all, inRange, options);
  }

  /** conversations.replies: the thread under `ts`, oldest first; undefined when there is none. */
  replies(channel: string, ts: string, options: ReadOptions): Page | undefined {
    const all = this.#kept(channel);
    const parent = all.find((m) => m.ts === ts);
    if (parent?.threadTs && parent.threadTs !== parent.ts) {
      // `ts` names a reply: Slack answers with that message alone.
      return this.#page(all, [parent], options);
    }
    const replies = all.filter((m) => m.threadTs === ts && m.ts !== ts);
    if (!parent && replies.length === 0) return undefined;
    const thread = [...(parent ? [parent] : []), ...within(replies, options)];
    return this.#page(all, thread, options);
  }

  #page(all: StoredMessage[], list: StoredMessage[], options: ReadOptions): Page {
    const start = decodeCursor(options.cursor);
    const slice = list.slice(start, start + options.limit);
    const hasMore = start + options.limit < list.length;
    return {
      messages: slice.map((m) => shown(m, all, options.includeAllMetadata)),
      hasMore,
      nextCursor: hasMore ? encodeCursor(start + options.limit) : '',
    };
  }
}

function within(list: StoredMessage[], options: ReadOptions): StoredMessage[] {
  const oldest = options.oldest !== undefined ? tsValue(options.oldest) : -Infinity;
  const latest = options.latest !== undefined ? tsValue(options.latest) : Infinity;
  return list.filter((m) => {
    const t = tsValue(m.ts);
    return options.inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
  });
}

/** The message as the read methods show it: thread fields on parents, metadata only when asked. */
function shown(stored: StoredMessage, all: StoredMessage[], includeMetadata: boolean): Args {
  const { metadata, ...rest } = stored.message;
  const out: Args = { ...rest };
  if (includeMetadata && metadata !== undefined) out.metadata = metadata;
  const replies = all.filter((m) => m.threadTs === stored.ts && m.ts !== stored.ts);
  if (replies.length > 0 && (!stored.threadTs || stored.threadTs === stored.ts)) {
    out.thread_ts = stored.ts;
    out.reply_count = replies.length;
    out.reply_users_count = new Set(replies.map((r) => r.message.user)).size;
    out.latest_reply = replies[replies.length - 1]!.ts;
    out.reply_users = [...new Set(replies.map((r) => r.message.user))];
  }
  return out;
}

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64');
}

function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return match ? Number(match[1]) : 0;
}

/** A cursor this store handed out (Slack answers `invalid_cursor` to others). */
export function isValidCursor(cursor: string): boolean {
  return /^offset:\d+$/.test(Buffer.from(cursor, 'base64').toString('utf8'));
}
