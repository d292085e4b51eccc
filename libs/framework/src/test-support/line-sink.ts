// Log lines written by a logger under test, kept as text.
import { Writable } from 'node:stream';

/** A destination for createLogger and the lines written to it. */
export function lineSink(): { destination: Writable; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { destination, lines };
}
