// A node:test reporter that writes one block per failed test (file, name, error) and nothing else.
// run-tests.mjs sends it to test-artifacts/failures/<project>.txt next to the spec reporter on
// stdout; print-failures.mjs repeats those blocks after every project has run, so the reason for a
// red run is at the end of the output, not somewhere in the middle of it.
import { inspect } from 'node:util';

export default async function* failuresReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, line, details } = event.data;
    // A suite fails when a test inside it fails: that test has its own block already.
    if (details?.error?.failureType === 'subtestsFailed') continue;
    const where = file ? `${file}${line ? `:${line}` : ''}` : '(unknown file)';
    const error = details?.error;
    const cause = error?.cause ?? error;
    const text = cause instanceof Error ? (cause.stack ?? cause.message) : inspect(cause, { depth: 4 });
    // The message and the first frames say what went wrong; node:test's own frames add nothing.
    const lines = text.split('\n').filter((l) => !l.includes('node:internal/')).slice(0, 16);
    yield `✖ ${name}\n  at ${where}\n${lines.map((l) => `    ${l}`).join('\n')}\n\n`;
  }
}
