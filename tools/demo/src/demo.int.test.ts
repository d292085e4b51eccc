// `npm start` is a contract: the demo must show the example app answering every kind of envelope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort, getTestRedisUrl, waitFor } from '@socketworks/testing';

const entry = join(__dirname, '../dist/main.js');

async function runDemo(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [entry, '--once'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, out };
}

test('the demo prints what the example app answered to a mention, /echo and a button, then exits', { timeout: 90000 }, async () => {
  const { code, out } = await runDemo({ REDIS_URL: await getTestRedisUrl() });
  assert.equal(code, 0, out);
  assert.match(out, /chat\.postMessage {2}channel=C0000001 thread_ts=\d+\.\d+ text="You said: <@U0000002> hello from the demo"/);
  assert.match(out, /response_url .*ping from \/echo/);
  assert.match(out, /response_url .*deploy-42/);
  assert.match(out, /app_mention +\d+\.\d ms/);
  assert.match(out, /dashboard +http:\/\/127\.0\.0\.1:\d+/);
});

test('kept running, the demo leaves a failed job in the dashboard and stops cleanly on Ctrl-C', { timeout: 90000 }, async () => {
  const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', REDIS_URL: await getTestRedisUrl() }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 80000);
  try {
    await waitFor(() => out.includes('Press Enter'), { timeoutMs: 60000, message: 'the demo to offer the failed job' });
    const jobsUrl = /(http:\/\/127\.0\.0\.1:\d+\/jobs\?kind=event_id&q=\S+)/.exec(out)?.[1];
    assert.ok(jobsUrl, out);
    const page = await waitFor(async () => {
      const html = await (await fetch(jobsUrl)).text();
      return html.includes('deliberate failure') ? html : undefined;
    }, { timeoutMs: 15000, message: 'the failed job in the dashboard' });
    assert.match(page, /failed/);
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    clearTimeout(killer);
    assert.equal(code, 0, out);
  }
});

test('without Redis the demo says how to start one', { timeout: 30000 }, async () => {
  const port = await freePort();
  const { code, out } = await runDemo({ REDIS_URL: `redis://127.0.0.1:${port}` });
  assert.equal(code, 1);
  assert.match(out, /Redis is not answering at redis:\/\/127\.0\.0\.1:\d+/);
  assert.match(out, /redis-server --daemonize yes/);
});
