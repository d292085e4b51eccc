// The example app's own rules: when it fails on purpose and when not. What it sends to Slack is
// checked end to end against the simulator in services/worker (worker.int.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, classifyError, type FrameworkError, type SlackJobData } from '@socketworks/framework';
import register, { DELIBERATE_FAILURE, withoutMention } from './index';

function appWith(env: Record<string, string | undefined>): App {
  // Nothing listens on port 1: a listener that reached Slack here would fail the test loudly.
  const app = new App({ token: 'xoxb-0000000001-0000000001-exampleexample', slackApiUrl: 'http://127.0.0.1:1/api/' });
  register(app, { env });
  return app;
}

function eventJob(type: 'app_mention' | 'message', text: string): SlackJobData {
  return {
    v: 1,
    type: 'events_api',
    envelope_id: 'env-1',
    payload: {
      type: 'event_callback',
      team_id: 'T0000001',
      api_app_id: 'A0000001',
      event_id: 'Ev1',
      event_time: 1,
      event: { type, text, user: 'U0000001', channel: 'C0000001', ts: '1.000100', event_ts: '1.000100' },
    },
    accepts_response_payload: false,
    retry_attempt: 0,
    retry_reason: '',
    received_at: Date.now(),
    delivery: 'socket',
  };
}

test('withoutMention strips one leading bot mention', () => {
  assert.equal(withoutMention('<@U0000002> fail'), 'fail');
  assert.equal(withoutMention('<@U0000002|bot>   fail  '), 'fail');
  assert.equal(withoutMention('fail'), 'fail');
  assert.equal(withoutMention('please fail'), 'please fail');
  assert.equal(withoutMention(undefined), '');
});

test("'fail' in a message or a mention fails permanently with the deliberate-failure message", async () => {
  const app = appWith({});
  for (const [type, text] of [['message', 'fail'], ['app_mention', '<@U0000002> fail'], ['message', ' <@U0000002>  fail ']] as const) {
    await assert.rejects(app.dispatch(eventJob(type, text), 'j'), (err: FrameworkError) => {
      assert.ok(err.message.startsWith(DELIBERATE_FAILURE), err.message);
      assert.equal(err.code, 'ERR_APP_PERMANENT');
      assert.equal(classifyError(err), 'permanent');
      return true;
    });
  }
});

test('other messages do nothing; a message containing fail among other words is no failure', async () => {
  const app = appWith({});
  const result = await app.dispatch(eventJob('message', 'this may fail'), 'j');
  assert.deepEqual(result, { handled: true, listeners: 1, acked: false });
});

test('EXAMPLE_APP_FAIL=off turns the failure off; a bad value stops registration', async () => {
  const app = appWith({ EXAMPLE_APP_FAIL: 'off' });
  assert.equal((await app.dispatch(eventJob('message', 'fail'), 'j')).handled, true);
  assert.throws(() => appWith({ EXAMPLE_APP_FAIL: 'maybe' }), /EXAMPLE_APP_FAIL must be on or off/);
});
