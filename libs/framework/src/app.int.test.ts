// say / respond / client against the simulator: where each goes, with which token, and how Slack's
// failures come back (permanent vs transient).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toJobData, type Envelope, type SlackJobData } from '@socketworks/protocol';
import { createLogger } from '@socketworks/runtime';
import { appMentionPayload, blockActionsPayload, globalShortcutPayload, messageShortcutPayload, SlackSim, slashCommandPayload } from '@socketworks/slack-sim';
import { App } from './app';
import { classifyError } from './classify-error';
import type { RespondError } from './errors';
import type { RateLimitedInfo } from './web-clients';
import { lineSink } from './test-support/line-sink';

const TOKEN = 'xoxb-0000000001-0000000001-frameworkframework';
let sim: SlackSim;
let app: App;
const rateLimited: RateLimitedInfo[] = [];

before(async () => {
  sim = await SlackSim.start();
  app = new App({
    token: TOKEN,
    slackApiUrl: sim.apiUrl,
    logger: createLogger({ name: 'test', level: 'silent' }),
    onRateLimited: (info) => rateLimited.push(info),
  });
});

after(async () => {
  await sim?.close();
});

/** Job data as the connector would store it. Injecting first makes the simulator issue a live response_url. */
function injected(type: Envelope['type'], payload: Record<string, unknown>): { data: SlackJobData; envelopeId: string } {
  const result = sim.inject({ type, payload });
  const live = result.responseUrl ? { ...payload, response_url: result.responseUrl } : payload;
  const data = toJobData(
    { type, envelope_id: result.envelopeId, payload: live, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' },
    { delivery: 'socket', receivedAt: Date.now() },
  );
  return { data, envelopeId: result.envelopeId };
}

/** Runs `listener` for one payload under a fresh App listening for it; rejects with the listener's error. */
async function runWith(register: (app: App) => void, data: SlackJobData): Promise<void> {
  const local = new App({ token: TOKEN, slackApiUrl: sim.apiUrl, logger: createLogger({ name: 'test', level: 'silent' }) });
  register(local);
  const result = await local.dispatch(data, 'job');
  assert.equal(result.handled, true);
}

test('say() posts to the event channel with the bot token; client is a WebClient on SLACK_API_URL', async () => {
  const payload = appMentionPayload({ text: '<@U0000002> hello', channel: 'C0000042' });
  const { data } = injected('events_api', payload);
  let clientUrl = '';
  await runWith((a) => {
    a.event('app_mention', async ({ event, say, client }) => {
      clientUrl = client.slackApiUrl;
      await say({ text: `got ${event.text}`, thread_ts: event.ts });
      await say('plain string');
    });
  }, data);
  const calls = sim.apiCalls('chat.postMessage').filter((c) => c.args.channel === 'C0000042');
  assert.equal(calls.length, 2);
  assert.equal(calls[0]!.args.text, 'got <@U0000002> hello');
  assert.equal(calls[0]!.args.thread_ts, (payload.event as { ts: string }).ts);
  assert.equal(calls[1]!.args.text, 'plain string');
  assert.ok(calls.every((c) => c.ok && c.token === TOKEN), 'sent with the bot token');
  assert.equal(clientUrl, sim.apiUrl);
});

test('say() targets: channel_id for commands, channel.id for actions, channel.id for message shortcuts', async () => {
  const cases: Array<[SlackJobData, string]> = [
    [injected('slash_commands', slashCommandPayload({ command: '/x', text: '', channelId: 'C0000100' })).data, 'C0000100'],
    [injected('interactive', blockActionsPayload({ actions: [{ action_id: 'a', value: 'v' }], channelId: 'C0000101' })).data, 'C0000101'],
    [injected('interactive', messageShortcutPayload({ callback_id: 'cb', channelId: 'C0000103' })).data, 'C0000103'],
  ];
  for (const [data, channel] of cases) {
    const before = sim.apiCalls('chat.postMessage').length;
    await runWith((a) => {
      a.command(/.*/, async ({ say }) => void (await say('to the command channel')));
      a.action(/.*/, async ({ say }) => void (await say('to the action channel')));
      a.shortcut(/.*/, async ({ say }) => void (await say('to the shortcut channel')));
    }, data);
    const calls = sim.apiCalls('chat.postMessage').slice(before);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.args.channel, channel);
  }
});

test("say() falls back to container.channel_id when an action payload has no channel", async () => {
  const payload = blockActionsPayload({ actions: [{ action_id: 'a', value: 'v' }], channelId: 'C0000102' });
  delete payload.channel;
  const { data } = injected('interactive', payload);
  const before = sim.apiCalls('chat.postMessage').length;
  await runWith((a) => a.action('a', async ({ say }) => void (await say('x'))), data);
  assert.equal(sim.apiCalls('chat.postMessage').slice(before)[0]?.args.channel, 'C0000102');
});

test('respond() POSTs JSON to the payload response_url (commands and actions)', async () => {
  const cmd = injected('slash_commands', slashCommandPayload({ command: '/echo', text: 'hi there' }));
  const click = injected('interactive', blockActionsPayload({ actions: [{ action_id: 'go', value: 'v-1' }] }));
  await runWith((a) => {
    a.command('/echo', async ({ command, respond }) => {
      const result = await respond({ text: `echo ${command.text}`, response_type: 'in_channel' });
      assert.equal(result.status, 200);
    });
    a.action('go', async ({ action, respond }) => void (await respond(`clicked ${action.value}`)));
  }, cmd.data);
  await runWith((a) => a.action('go', async ({ action, respond }) => void (await respond(`clicked ${action.value}`))), click.data);
  const calls = sim.responseUrlCalls();
  const toCmd = calls.find((c) => c.originEnvelopeId === cmd.envelopeId);
  const toClick = calls.find((c) => c.originEnvelopeId === click.envelopeId);
  assert.deepEqual(toCmd?.body, { text: 'echo hi there', response_type: 'in_channel' });
  assert.equal(toCmd?.status, 200);
  assert.deepEqual(toClick?.body, { text: 'clicked v-1' });
});

test('respond() to a dead response_url rejects with ERR_RESPOND_STATUS and the status; permanent', async () => {
  const payload = slashCommandPayload({ command: '/echo', text: 'x' });
  payload.response_url = `${sim.baseUrl}/hooks/commands/T0000001/deadbeefdeadbeefdeadbeef`;
  const data = toJobData(
    { type: 'slash_commands', envelope_id: 'env-dead', payload, accepts_response_payload: true, retry_attempt: 0, retry_reason: '' },
    { delivery: 'socket', receivedAt: Date.now() },
  );
  await assert.rejects(
    runWith((a) => a.command('/echo', async ({ respond }) => void (await respond('x'))), data),
    (err: RespondError) => {
      assert.equal(err.code, 'ERR_RESPOND_STATUS');
      assert.equal(err.status, 404);
      assert.ok(!err.message.includes('deadbeef'), 'the response_url is not in the message');
      assert.equal(classifyError(err), 'permanent');
      return true;
    },
  );
});

test('a Slack platform error (channel_not_found) rejects with the Slack error and is permanent', async () => {
  const { data } = injected('events_api', appMentionPayload({ text: 'hi', channel: 'X0000001' }));
  await assert.rejects(
    runWith((a) => a.event('app_mention', async ({ say }) => void (await say('x'))), data),
    (err: Error) => {
      assert.match(err.message, /channel_not_found/);
      assert.equal(classifyError(err), 'permanent');
      return true;
    },
  );
});

test('a 429 rejects at once (no in-client wait), is transient, and is reported with its method', async () => {
  sim.setRateLimit({ method: 'chat.postMessage', count: 1, retryAfterSeconds: 30 });
  const { data } = injected('events_api', appMentionPayload({ text: 'hi' }));
  const started = Date.now();
  await assert.rejects(
    runWith((a) => a.event('app_mention', async ({ say }) => void (await say('x'))), data),
    (err: Error & { code?: string; retryAfter?: number }) => {
      assert.equal(err.code, 'slack_webapi_rate_limited_error');
      assert.equal(err.retryAfter, 30);
      assert.equal(classifyError(err), 'transient');
      return true;
    },
  );
  assert.ok(Date.now() - started < 5000, 'did not sleep through Retry-After');
  // onRateLimited is wired on the App's own clients (not the throwaway App of runWith):
  sim.setRateLimit({ method: 'chat.postMessage', count: 1, retryAfterSeconds: 1 });
  app.event('app_mention', async ({ say }) => void (await say('x')));
  await assert.rejects(app.dispatch(injected('events_api', appMentionPayload({ text: 'hi' })).data, 'j'));
  assert.deepEqual(rateLimited, [{ method: 'chat.postMessage', retryAfterSeconds: 1 }]);
  // The simulator keeps refusing chat.postMessage for Retry-After, as Slack does; the next tests post.
  sim.setRateLimit(null);
});

test('global shortcuts have no channel and no response_url', async () => {
  const { data } = injected('interactive', globalShortcutPayload({ callback_id: 'gs' }));
  const codes: string[] = [];
  await runWith((a) =>
    a.shortcut('gs', async ({ say, respond }) => {
      await say('x').catch((e: { code: string }) => codes.push(e.code));
      await respond('x').catch((e: { code: string }) => codes.push(e.code));
    }),
  data);
  assert.deepEqual(codes, ['ERR_SAY_NO_CHANNEL', 'ERR_RESPOND_NO_URL']);
});

test('at debug level the Web API client logs its calls but never a request or response body', async () => {
  const { destination, lines } = lineSink();
  const local = new App({ token: TOKEN, slackApiUrl: sim.apiUrl, logger: createLogger({ name: 'test', level: 'debug', destination }) });
  local.event('app_mention', async ({ say }) => void (await say('a private message body')));
  await local.dispatch(injected('events_api', appMentionPayload({ text: 'hi' })).data, 'j');
  assert.ok(lines.some((l) => l.includes('http request url')), 'the client logged at debug');
  assert.ok(!lines.some((l) => l.includes('a private message body')), 'a body was logged');
  assert.ok(!lines.some((l) => l.includes(TOKEN)), 'the token was logged');
});
