// Routing, matching, middleware order, narrowing, ack and the error handler — everything in the
// App that needs no network. say/respond/client against the simulator are in app.int.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJobData, type AppMentionEvent, type Envelope, type GenericEvent, type MessageEvent, type SlackJobData } from '@socketworks/protocol';
import { createLogger } from '@socketworks/runtime';
import { App } from './app';
import { FrameworkError, MultipleListenerError } from './errors';
import { lineSink } from './test-support/line-sink';

const TOKEN = 'xoxb-0000000001-0000000001-unittestunittest';

function quietApp(options: { ignoreSelf?: boolean } = {}): App {
  return new App({ token: TOKEN, logger: createLogger({ name: 'test', level: 'silent' }), ...options });
}

function job(type: Envelope['type'], payload: Record<string, unknown>, extra: Partial<Envelope> = {}): SlackJobData {
  return toJobData(
    { type, envelope_id: 'env-1', payload, accepts_response_payload: false, retry_attempt: 0, retry_reason: '', ...extra },
    { delivery: 'socket', receivedAt: Date.now() },
  );
}

function eventJob(event: Record<string, unknown>, extra: Record<string, unknown> = {}): SlackJobData {
  return job('events_api', {
    type: 'event_callback',
    team_id: 'T0000001',
    api_app_id: 'A0000001',
    event_id: 'Ev1',
    event_time: 1700000000,
    event: { ts: '1700000000.000100', event_ts: '1700000000.000100', channel: 'C0000001', ...event },
    authorizations: [{ enterprise_id: null, team_id: 'T0000001', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    ...extra,
  });
}

const mention = (text: string, user = 'U0000001') => eventJob({ type: 'app_mention', text, user });
const message = (text: string, user = 'U0000001') => eventJob({ type: 'message', text, user, channel_type: 'channel' });

const command = (name: string, text = '') =>
  job('slash_commands', {
    command: name,
    text,
    team_id: 'T0000001',
    channel_id: 'C0000001',
    user_id: 'U0000001',
    response_url: 'http://127.0.0.1:1/hooks/commands/T0000001/x',
    trigger_id: 't.1',
    api_app_id: 'A0000001',
  }, { accepts_response_payload: true });

const blockActions = (actions: Array<{ action_id: string; block_id?: string; value?: string }>) =>
  job('interactive', {
    type: 'block_actions',
    user: { id: 'U0000001', team_id: 'T0000001' },
    team: { id: 'T0000001' },
    channel: { id: 'C0000001' },
    container: { type: 'message', channel_id: 'C0000001' },
    actions: actions.map((a) => ({ type: 'button', block_id: 'b1', action_ts: '1.2', ...a })),
  });

const view = (type: 'view_submission' | 'view_closed', callbackId: string) =>
  job('interactive', { type, user: { id: 'U0000001' }, team: { id: 'T0000001' }, view: { id: 'V1', type: 'modal', callback_id: callbackId } });

const shortcut = (type: 'shortcut' | 'message_action', callbackId: string) =>
  job('interactive', { type, callback_id: callbackId, trigger_id: 't.2', user: { id: 'U0000001' }, team: { id: 'T0000001' } });

const suggestion = (actionId: string, blockId = 'b1', viewCallbackId?: string) =>
  job('interactive', {
    type: 'block_suggestion', action_id: actionId, block_id: blockId, value: 'q', user: { id: 'U0000001' }, team: { id: 'T0000001' },
    ...(viewCallbackId ? { view: { id: 'V1', type: 'modal', callback_id: viewCallbackId } } : {}),
  }, {
    accepts_response_payload: true,
  });

/** Compile-time equality: `const x: Equal<A, B> = true` fails `tsc` (lint) unless A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

test('routes by envelope type and payload type to the matching kind only', async () => {
  const app = quietApp();
  const seen: string[] = [];
  app.event('app_mention', async () => void seen.push('event'));
  app.command('/echo', async () => void seen.push('command'));
  app.action('approve', async () => void seen.push('action'));
  app.view('modal_cb', async () => void seen.push('view'));
  app.shortcut('sc_cb', async () => void seen.push('shortcut'));
  app.options('ext_select', async () => void seen.push('options'));

  const cases: Array<[SlackJobData, string]> = [
    [mention('hi'), 'event'],
    [command('/echo'), 'command'],
    [blockActions([{ action_id: 'approve' }]), 'action'],
    [view('view_submission', 'modal_cb'), 'view'],
    [shortcut('shortcut', 'sc_cb'), 'shortcut'],
    [suggestion('ext_select'), 'options'],
  ];
  for (const [data, expected] of cases) {
    seen.length = 0;
    const result = await app.dispatch(data, 'job-1');
    assert.deepEqual(seen, [expected], `payload routed to ${expected}`);
    assert.equal(result.handled, true);
    assert.equal(result.listeners, 1);
  }
});

test('the envelope type decides, not the payload shape: a command-shaped events_api payload is no command', async () => {
  const app = quietApp();
  let ran = false;
  app.command('/echo', async () => void (ran = true));
  const data = job('events_api', { command: '/echo', text: 'x', channel_id: 'C1', response_url: 'http://x/' });
  const result = await app.dispatch(data, 'job-1');
  assert.equal(ran, false);
  assert.deepEqual(result, { handled: false, listeners: 0, acked: false });
});

test('payloads without a listener kind (app_rate_limited, legacy interactive) are unhandled, not errors', async () => {
  const app = quietApp();
  app.event(/.*/, async () => assert.fail('no event listener may run'));
  assert.equal((await app.dispatch(job('events_api', { type: 'app_rate_limited', team_id: 'T1', minute_rate_limited: 1 }), 'j')).handled, false);
  assert.equal((await app.dispatch(job('interactive', { type: 'interactive_message', callback_id: 'x' }), 'j')).handled, false);
  assert.equal((await app.dispatch(job('interactive', { type: 'block_actions', actions: [] }), 'j')).handled, false);
});

test('string constraints match exactly, RegExps match by test, and every matching listener runs', async () => {
  const app = quietApp();
  const seen: string[] = [];
  app.event('app_mention', async () => void seen.push('exact'));
  app.event(/^app_/, async () => void seen.push('regexp'));
  app.event('app_mention_not', async () => void seen.push('wrong'));
  app.event('message', async () => void seen.push('message'));
  const result = await app.dispatch(mention('hello'), 'job-1');
  assert.deepEqual(seen.sort(), ['exact', 'regexp']);
  assert.equal(result.listeners, 2);
});

test('app.message matches message events by substring or RegExp and puts the match in context.matches', async () => {
  const app = quietApp();
  const seen: string[] = [];
  app.message(async ({ message }) => void seen.push(`any:${message.text}`));
  app.message('deploy', async () => void seen.push('substring'));
  app.message(/ticket-(\d+)/, async ({ context }) => void seen.push(`regexp:${context.matches?.[1]}`));
  app.message('nope', async () => void seen.push('wrong'));
  await app.dispatch(message('please deploy ticket-42'), 'job-1');
  assert.deepEqual(seen.sort(), ['any:please deploy ticket-42', 'regexp:42', 'substring']);

  seen.length = 0;
  await app.dispatch(mention('please deploy ticket-42'), 'job-2');
  assert.deepEqual(seen, [], 'app_mention is not a message event');
});

test('action, view, shortcut and options constraints', async () => {
  const app = quietApp();
  const seen: string[] = [];
  app.action({ block_id: 'b2', action_id: /^approve/ }, async () => void seen.push('action:b2'));
  app.action({ action_id: 'approve' }, async () => void seen.push('action:any-block'));
  app.action({ type: 'block_actions' }, async () => void seen.push('action:all'));
  app.view('cb', async () => void seen.push('view:submission-only'));
  app.view({ type: 'view_closed', callback_id: 'cb' }, async () => void seen.push('view:closed'));
  app.view({ callback_id: /c/ }, async () => void seen.push('view:both'));
  app.shortcut('sc', async () => void seen.push('shortcut:both'));
  app.shortcut({ type: 'message_action', callback_id: 'sc' }, async () => void seen.push('shortcut:message'));
  app.options({ action_id: 'ext', block_id: 'b9' }, async () => void seen.push('options:b9'));
  app.options('ext', async () => void seen.push('options:any'));
  // Bolt's other option constraints: the type, and the modal's callback_id.
  app.options({ type: 'block_suggestion', action_id: 'ext' }, async () => void seen.push('options:typed'));
  app.options({ callback_id: /^pick/ }, async () => void seen.push('options:modal'));

  const run = async (data: SlackJobData) => {
    seen.length = 0;
    await app.dispatch(data, 'j');
    return [...seen].sort();
  };
  assert.deepEqual(await run(blockActions([{ action_id: 'approve', block_id: 'b1' }])), ['action:all', 'action:any-block']);
  assert.deepEqual(await run(blockActions([{ action_id: 'approve_2', block_id: 'b2' }])), ['action:all', 'action:b2']);
  assert.deepEqual(await run(view('view_submission', 'cb')), ['view:both', 'view:submission-only']);
  assert.deepEqual(await run(view('view_closed', 'cb')), ['view:both', 'view:closed']);
  assert.deepEqual(await run(shortcut('shortcut', 'sc')), ['shortcut:both']);
  assert.deepEqual(await run(shortcut('message_action', 'sc')), ['shortcut:both', 'shortcut:message']);
  assert.deepEqual(await run(suggestion('ext', 'b9')), ['options:any', 'options:b9', 'options:typed']);
  assert.deepEqual(await run(suggestion('ext', 'b1')), ['options:any', 'options:typed']);
  assert.deepEqual(await run(suggestion('other', 'b1', 'picker')), ['options:modal']);
  assert.deepEqual(await run(suggestion('other', 'b1', 'other_modal')), []);
});

test('bad constraints and missing listeners fail at registration with a code', () => {
  const app = quietApp();
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as FrameworkError).code;
    }
    return 'no error';
  };
  assert.equal(codeOf(() => app.action({ callback_id: 'x' } as never, async () => undefined)), 'ERR_APP_INVALID_CONSTRAINT');
  assert.equal(codeOf(() => app.view({ type: 'view_open' } as never, async () => undefined)), 'ERR_APP_INVALID_CONSTRAINT');
  assert.equal(codeOf(() => app.options({ action_id: 42 } as never, async () => undefined)), 'ERR_APP_INVALID_CONSTRAINT');
  assert.equal(codeOf(() => app.options({ type: 'dialog_suggestion' } as never, async () => undefined)), 'ERR_APP_INVALID_CONSTRAINT');
  assert.equal(codeOf(() => app.event(undefined as never, async () => undefined)), 'ERR_APP_INVALID_CONSTRAINT');
  assert.equal(codeOf(() => app.command('/x')), 'ERR_APP_NO_LISTENER');
  assert.equal(codeOf(() => new App({ logger: createLogger({ name: 't', level: 'silent' }) })), 'ERR_AUTHORIZE_FAILED');
});

test('middleware: global first, then listener middleware, in order, unwinding after next()', async () => {
  const app = quietApp();
  const order: string[] = [];
  app.use(async ({ next, context }) => {
    order.push('global-1 in');
    context.tenant = 'acme';
    await next();
    order.push('global-1 out');
  });
  app.use(async ({ next }) => {
    order.push('global-2');
    await next();
  });
  app.event(
    'app_mention',
    async ({ next }) => {
      order.push('listener-mw in');
      await next();
      order.push('listener-mw out');
    },
    async ({ context }) => void order.push(`handler tenant=${String(context.tenant)}`),
  );
  await app.dispatch(mention('x'), 'j');
  assert.deepEqual(order, ['global-1 in', 'global-2', 'listener-mw in', 'handler tenant=acme', 'listener-mw out', 'global-1 out']);
});

test('middleware that does not call next() stops the chain: nothing after it runs', async () => {
  const app = quietApp();
  let handler = false;
  app.use(async () => undefined);
  app.event('app_mention', async () => void (handler = true));
  const result = await app.dispatch(mention('x'), 'j');
  assert.equal(handler, false);
  assert.equal(result.handled, false);

  const app2 = quietApp();
  let second = false;
  app2.event('app_mention', async () => undefined, async () => void (second = true));
  assert.equal((await app2.dispatch(mention('x'), 'j')).handled, true);
  assert.equal(second, false, 'listener middleware without next() stops its own chain');
});

test('calling next() twice is an error', async () => {
  const app = quietApp();
  app.event('app_mention', async ({ next }) => {
    await next();
    await next();
  }, async () => undefined);
  await assert.rejects(app.dispatch(mention('x'), 'j'), (err: FrameworkError) => err.code === 'ERR_MIDDLEWARE_NEXT_TWICE');
});

test('listener arguments are narrowed by event type and carry Bolt names and the context', async () => {
  const app = quietApp();
  let checked = 0;
  app.event('app_mention', async ({ event, payload, body, message, context, ack }) => {
    const _eventType: Equal<typeof event, AppMentionEvent> = true;
    const _messageType: Equal<typeof message, undefined> = true;
    assert.equal(message, undefined);
    // @ts-expect-error an app_mention has no subtype
    void event.subtype;
    assert.equal(event, payload);
    assert.equal(body.event, event);
    assert.equal(event.text, 'hello');
    assert.equal(context.teamId, 'T0000001');
    assert.equal(context.userId, 'U0000001');
    assert.equal(context.botUserId, 'UBOT');
    assert.equal(context.botToken, TOKEN);
    assert.equal(context.jobId, 'ev-Ev1');
    assert.equal(context.envelopeId, 'env-1');
    assert.equal(context.retryNum, 2);
    assert.equal(context.retryReason, 'timeout');
    await ack();
    checked++;
  });
  app.event('message', async ({ message, event }) => {
    const _m: Equal<typeof message, MessageEvent> = true;
    const _e: Equal<typeof event, MessageEvent> = true;
    assert.equal(message, event);
    checked++;
  });
  app.event(/reaction/, async ({ event }) => {
    const _g: Equal<typeof event, GenericEvent & { type: string }> = true;
    assert.equal(event.type, 'reaction_added');
    checked++;
  });
  app.command('/echo', async ({ command, ack }) => {
    const _c: Equal<typeof command.text, string> = true;
    assert.equal(command.command, '/echo');
    await ack({ text: 'ok' });
    checked++;
  });
  const mentionData = mention('hello');
  mentionData.retry_attempt = 2;
  mentionData.retry_reason = 'timeout';
  await app.dispatch(mentionData, 'ev-Ev1');
  await app.dispatch(message('m'), 'j');
  await app.dispatch(eventJob({ type: 'reaction_added', user: 'U1', item: { channel: 'C1' } }), 'j');
  assert.equal(checked, 3);
});

test('ack: recorded and returned for commands and interactive payloads, the first answer wins; a no-op for events', async () => {
  const app = quietApp();
  app.command('/echo', async ({ ack }) => {
    await ack('immediate');
    await ack({ text: 'second' });
  });
  app.options('ext', async ({ ack }) => ack({ options: [{ text: { type: 'plain_text', text: 'A' }, value: 'a' }] }));
  app.action('approve', async ({ ack }) => ack());
  app.event('app_mention', async ({ ack }) => ack());
  const onAck: unknown[] = [];
  const cmd = await app.dispatch(command('/echo'), 'j', { onAck: (r) => void onAck.push(r) });
  assert.deepEqual(cmd, { handled: true, listeners: 1, acked: true, ackResponse: { text: 'immediate' } });
  assert.deepEqual(onAck, [{ text: 'immediate' }], 'onAck is called once, at the first ack');
  assert.deepEqual((await app.dispatch(suggestion('ext'), 'j')).ackResponse, { options: [{ text: { type: 'plain_text', text: 'A' }, value: 'a' }] });
  const action = await app.dispatch(blockActions([{ action_id: 'approve' }]), 'j');
  assert.equal(action.acked, true);
  assert.equal('ackResponse' in action, false, 'a bare ack has no answer');
  assert.deepEqual(await app.dispatch(mention('x'), 'j'), { handled: true, listeners: 1, acked: false });
});

test('a listener error goes to the error handler; the default rethrows it so the job fails', async () => {
  const boom = new Error('boom');
  const app = quietApp();
  app.event('app_mention', async () => {
    throw boom;
  });
  await assert.rejects(app.dispatch(mention('x'), 'j'), (err) => err === boom);

  const seen: Array<{ error: Error; teamId?: string; body: unknown }> = [];
  app.error(async (error, { context, body }) => void seen.push({ error, teamId: context.teamId, body }));
  const result = await app.dispatch(mention('x'), 'j');
  assert.equal(result.handled, true, 'a handler that returns swallows the error');
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.error, boom);
  assert.equal(seen[0]!.teamId, 'T0000001');
  assert.equal((seen[0]!.body as { event_id: string }).event_id, 'Ev1');

  app.error(async (error) => {
    throw new Error(`wrapped: ${error.message}`, { cause: error });
  });
  await assert.rejects(app.dispatch(mention('x'), 'j'), /wrapped: boom/);
});

test('global middleware errors and non-Error throws reach the error handler too', async () => {
  const app = quietApp();
  const seen: Error[] = [];
  app.error(async (error) => void seen.push(error));
  app.use(async () => {
    throw 'a string';
  });
  await app.dispatch(mention('x'), 'j');
  assert.equal((seen[0] as FrameworkError).code, 'ERR_LISTENER_NON_ERROR');
  assert.match(seen[0]!.message, /a string/);
});

test('all matching listeners run even when one fails; several failures become one MultipleListenerError', async () => {
  const app = quietApp();
  let ok = false;
  app.event('app_mention', async () => {
    throw new Error('first');
  });
  app.event('app_mention', async () => void (ok = true));
  await assert.rejects(app.dispatch(mention('x'), 'j'), /first/);
  assert.equal(ok, true, 'the healthy listener ran');

  app.event('app_mention', async () => {
    throw new Error('second');
  });
  await assert.rejects(app.dispatch(mention('x'), 'j'), (err: MultipleListenerError) => {
    assert.equal(err.code, 'ERR_LISTENER_MULTIPLE');
    assert.deepEqual(err.errors.map((e) => e.message), ['first', 'second']);
    return true;
  });
});

test("the app's own events are ignored (ignoreSelf), member_joined_channel excepted; ignoreSelf: false keeps them", async () => {
  const app = quietApp();
  const seen: string[] = [];
  app.event(/.*/, async ({ event }) => void seen.push(event.type));
  assert.equal((await app.dispatch(message('my own post', 'UBOT'), 'j')).handled, false);
  await app.dispatch(eventJob({ type: 'member_joined_channel', user: 'UBOT' }), 'j');
  assert.deepEqual(seen, ['member_joined_channel']);

  const keepAll = quietApp({ ignoreSelf: false });
  keepAll.message(async () => void seen.push('kept'));
  await keepAll.dispatch(message('my own post', 'UBOT'), 'j');
  assert.deepEqual(seen, ['member_joined_channel', 'kept']);
});

test('say without a channel and respond without a response_url reject with codes', async () => {
  const app = quietApp();
  const codes: string[] = [];
  app.view('cb', async ({ say, respond }) => {
    await say('x').catch((err: FrameworkError) => codes.push(err.code));
    await respond('x').catch((err: FrameworkError) => codes.push(err.code));
  });
  await app.dispatch(view('view_submission', 'cb'), 'j');
  assert.deepEqual(codes, ['ERR_SAY_NO_CHANNEL', 'ERR_RESPOND_NO_URL']);
});

/** An app whose installation store records every query and answers with `answer` (which may throw). */
function appWithStore<Q>(answer: (query: Q) => { botToken: string }): { app: App; queries: Q[] } {
  const queries: Q[] = [];
  const app = new App({
    logger: createLogger({ name: 't', level: 'silent' }),
    installationStore: {
      authorize: async (q) => {
        queries.push(q as Q);
        return answer(q as Q);
      },
    },
  });
  return { app, queries };
}

test('installation store: authorize gets the team and enterprise of the payload; its token is in context', async () => {
  const { app, queries } = appWithStore<unknown>(() => ({ botToken: 'xoxb-from-store-0000000000' }));
  let token: string | undefined = '';
  app.command('/echo', async ({ context }) => void (token = context.botToken));
  const data = command('/echo');
  data.payload.enterprise_id = 'E0000001';
  data.payload.is_enterprise_install = 'true';
  await app.dispatch(data, 'j');
  assert.deepEqual(queries, [{ teamId: 'T0000001', enterpriseId: 'E0000001', isEnterpriseInstall: true }]);
  assert.equal(token, 'xoxb-from-store-0000000000');
});

test('app_uninstalled and tokens_revoked run without authorize (as Bolt), so a deleted installation does not fail them; other events still authorize', async () => {
  const { app, queries } = appWithStore<{ teamId?: string }>((q) => {
    throw new FrameworkError('ERR_AUTHORIZE_FAILED', `no installation for team ${String(q.teamId)}`);
  });
  const ran: Array<{ type: string; teamId: string | undefined; botToken: string | undefined }> = [];
  app.event(/^(app_uninstalled|tokens_revoked|app_mention)$/, async ({ event, context }) => void ran.push({ type: event.type, teamId: context.teamId, botToken: context.botToken }));
  for (const type of ['app_uninstalled', 'tokens_revoked']) {
    const result = await app.dispatch(eventJob({ type, ...(type === 'tokens_revoked' ? { tokens: { bot: ['UBOT'] } } : {}) }), `ev-${type}`);
    assert.equal(result.handled, true, type);
  }
  assert.deepEqual(ran, [
    { type: 'app_uninstalled', teamId: 'T0000001', botToken: undefined },
    { type: 'tokens_revoked', teamId: 'T0000001', botToken: undefined },
  ]);
  assert.deepEqual(queries, [], 'the installation store was not asked');
  await assert.rejects(app.dispatch(mention('hi'), 'ev-m'), { code: 'ERR_AUTHORIZE_FAILED' });
  assert.equal(queries.length, 1);
});

test("view payloads are authorized for view.app_installed_team_id when present (a Slack Connect modal), else team.id, as Bolt does", async () => {
  const { app, queries } = appWithStore<{ teamId?: string }>((q) => {
    if (q.teamId !== 'T0000001') throw new FrameworkError('ERR_AUTHORIZE_FAILED', `no installation for team ${String(q.teamId)}`);
    return { botToken: 'xoxb-from-store-0000000000' };
  });
  const teams: Array<string | undefined> = [];
  app.view('modal', async ({ ack, context }) => {
    teams.push(context.teamId);
    await ack();
  });
  const submission = (view: Record<string, unknown>) =>
    job('interactive', {
      type: 'view_submission',
      team: { id: 'T0000EXT' },
      user: { id: 'U0000009', team_id: 'T0000EXT' },
      view: { id: 'V1', type: 'modal', callback_id: 'modal', state: { values: {} }, ...view },
    });
  await app.dispatch(submission({ app_installed_team_id: 'T0000001', team_id: 'T0000EXT' }), 'j1');
  assert.deepEqual(teams, ['T0000001'], "the installation's team, not the submitting user's");
  await assert.rejects(app.dispatch(submission({}), 'j2'), { code: 'ERR_AUTHORIZE_FAILED' }, 'without it, team.id as before');
  assert.deepEqual(queries.map((q) => q.teamId), ['T0000001', 'T0000EXT']);
});

test('the job logger given to dispatch is the one listeners get', async () => {
  const { destination, lines } = lineSink();
  const jobLogger = createLogger({ name: 'job', destination }).child({ envelope_id: 'env-1' });
  const app = quietApp();
  app.event('app_mention', async ({ logger }) => logger.info({ n: 1 }, 'from the listener'));
  await app.dispatch(mention('x'), 'j', { logger: jobLogger });
  const line = JSON.parse(lines.find((l) => l.includes('from the listener'))!) as Record<string, unknown>;
  assert.equal(line.envelope_id, 'env-1');
});

test('an unroutable payload is logged with its type cut to 64 characters, and a type that is not a string never throws', async () => {
  const { destination, lines } = lineSink();
  const app = new App({ token: TOKEN, logger: createLogger({ name: 'test', destination }) });
  await app.dispatch(job('interactive', { type: 'z'.repeat(10_000) }), 'j1');
  await app.dispatch(job('events_api', { type: 'y'.repeat(10_000) }), 'j2');
  await app.dispatch(job('interactive', { type: { toString: 1 } }), 'j3');
  const reasons = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'no listener kind for this payload; nothing to do').map((l) => l.reason);
  assert.deepEqual(reasons, [
    `interactive payload of type "${'z'.repeat(64)}"`,
    `events_api payload of type "${'y'.repeat(64)}"`,
    'interactive payload of type (JSON object)',
  ]);
});
