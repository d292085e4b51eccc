// Service logs are JSON lines, whether they come from a child process's stdout or from a pino
// destination in the test's own process. A collector splits the text into lines and keeps each
// one twice: as written (for searching secrets) and parsed (a line that is not JSON is kept as
// `{ msg: line }`).
import { Writable } from 'node:stream';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export class JsonLineCollector {
  /** Every line, parsed. */
  readonly lines: LogLine[] = [];
  /** Every line as written. */
  readonly raw: string[] = [];
  #pending = '';

  /** Takes the next piece of text; complete lines are kept, the rest waits for the next piece. */
  push(text: string): void {
    this.#pending += text;
    let nl: number;
    while ((nl = this.#pending.indexOf('\n')) >= 0) {
      const line = this.#pending.slice(0, nl);
      this.#pending = this.#pending.slice(nl + 1);
      if (!line.trim()) continue;
      this.raw.push(line);
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ msg: line });
      }
    }
  }

  /** A stream to hand a logger as its destination. */
  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.push(chunk.toString('utf8'));
        done();
      },
    });
  }
}
