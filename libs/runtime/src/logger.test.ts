import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonLineCollector } from '@socketworks/testing';
import { createLogger, REDACT_PATHS, CENSOR } from './logger';

/** Every line the logger writes, as written. */
function capture() {
  const collector = new JsonLineCollector();
  return { lines: collector.raw, stream: collector.writable() };
}

const SECRET = 'xoxb-1111-2222-SECRETSECRET';

/** Builds an object with `value` placed at a pino redaction path like `*.headers["x-slack-signature"]`. */
function objectAt(path: string, value: string): Record<string, unknown> {
  const parts = path.replace(/\["([^"]+)"\]/g, '.$1').split('.');
  const root: Record<string, unknown> = {};
  let node = root;
  parts.forEach((part, i) => {
    const key = part === '*' ? 'anything' : part;
    if (i === parts.length - 1) node[key] = value;
    else node = (node[key] = {}) as Record<string, unknown>;
  });
  return root;
}

test('every redaction path is censored', () => {
  for (const path of REDACT_PATHS) {
    const { lines, stream } = capture();
    const logger = createLogger({ name: 't', destination: stream });
    logger.info(objectAt(path, 'plain-secret-value-123'), 'line');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes('plain-secret-value-123'), `path ${path} leaked: ${lines[0]}`);
    assert.ok(lines[0]!.includes(CENSOR), `path ${path} shows the censor mark`);
  }
});

test('token shapes are censored even inside messages and error text', () => {
  const { lines, stream } = capture();
  const logger = createLogger({ name: 't', destination: stream });
  logger.error({ err: { message: `call failed with ${SECRET}` } }, `token xapp-1-A1-123-abcdef in msg`);
  logger.info({ url: 'redis://user:hunter2pass@127.0.0.1:6379' }, 'connecting');
  const all = lines.join('\n');
  assert.ok(!all.includes('SECRETSECRET'));
  assert.ok(!all.includes('xapp-1-A1-123-abcdef'));
  assert.ok(!all.includes('hunter2pass'));
  assert.equal(JSON.parse(lines[1]!).url, `redis://user:${CENSOR}@127.0.0.1:6379`);
});

test('configured secrets of any shape are censored', () => {
  const { lines, stream } = capture();
  const logger = createLogger({ name: 't', destination: stream, secrets: ['signing-secret-abcdef'] });
  logger.warn({ detail: 'value=signing-secret-abcdef' }, 'x');
  assert.ok(!lines[0]!.includes('signing-secret-abcdef'));
});

test('lines are JSON with the service name and the level label', () => {
  const { lines, stream } = capture();
  createLogger({ name: 'svc', destination: stream }).info({ envelope_id: 'e1' }, 'hello');
  const line = JSON.parse(lines[0]!);
  assert.equal(line.service, 'svc');
  assert.equal(line.level, 'info');
  assert.equal(line.envelope_id, 'e1');
  assert.equal(line.msg, 'hello');
});
