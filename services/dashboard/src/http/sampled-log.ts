// A warning that a flood of bad requests must not turn into a flood of log lines: at most one line
// per interval, each carrying how many occurrences it stands for.
import type { Logger } from 'pino';

export class SampledWarning {
  #lastAt = 0;
  #unlogged = 0;

  /** `countField` names the count of occurrences a line stands for (`failures`, `refused`). */
  constructor(
    private readonly logger: Logger,
    private readonly msg: string,
    private readonly countField: string,
    private readonly intervalMs: number,
  ) {}

  /**
   * One occurrence (counted unless `counted` is false: a line about it, without adding to the
   * count): logged with `fields` unless a line went out within the interval.
   */
  warn(fields: Record<string, unknown>, counted = true): void {
    if (counted) this.#unlogged += 1;
    const now = Date.now();
    if (now - this.#lastAt < this.intervalMs) return;
    this.logger.warn({ ...fields, [this.countField]: this.#unlogged }, this.msg);
    this.#lastAt = now;
    this.#unlogged = 0;
  }
}
