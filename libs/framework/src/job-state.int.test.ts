// The job state an App keeps in Redis (job-scope.ts) against a real Redis and the simulator:
// effects replayed on a second attempt, a post found again by its metadata tag after a worker died
// mid-call, rate-limit pauses shared per (team, method), response_url uses and age, and the Redis
// installation store. A "second attempt" is a second dispatch with the same job id, as BullMQ does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { toJobData, type Envelope, type SlackJobData } from '@socketworks/protocol';
import { createLogger } from '@socketworks/runtime';
import { appMentionPayload, SlackSim, slashCommandPayload } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, uniquePrefix } from '@socketworks/testing';
import { App } from './app';
import { classifyError, rateLimitOf } from './classify-error';
import { EffectLog } from './effects';
import type { RateLimitedError, RespondError } from './errors';
import { RedisInstallationStore } from './redis-installation-store';
import { stateKeys } from './state-keys';

const TOKEN = 'xoxb-0000000001-0000000001-jobstatejobstate';
const prefix = uniquePrefix('job-state');
const keys = stateKeys(prefix);
const logger = createLogger({ name: 'test', level: 'silent' });
let redisUrl: string;
let redis: Redis;
let sim: SlackSim;

before(async () => {
  redisUrl = await getTestRedisUrl();
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  sim = await SlackSim.start();
});

after(async () => {
  redis?.disconnect();
  await sim?.close();
  if (redisUrl) await deleteKeys(redisUrl, `{${prefix}}*`);
});

function newApp(register: (app: App) => void): App {
  const app = new App({ token: TOKEN, slackApiUrl: sim.apiUrl, logger, redis, keyPrefix: prefix });
  register(app);
  return app;
}

function jobData(type: Envelope['type'], payload: Record<string, unknown>, receivedAt = Date.now()): SlackJobData {
  const injected = sim.inject({ type, payload });
  const live = injected.responseUrl ? { ...payload, response_url: injected.responseUrl } : payload;
  return toJobData(
    { type, envelope_id: injected.envelopeId, payload: live, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' },
    { delivery: 'socket', receivedAt },
  );
}

const postsWith = (text: string) => sim.apiCalls('chat.postMessage').filter((c) => c.ok && c.args.text === text);
let jobs = 0;
const newJobId = () => `ev-${prefix}-${++jobs}`;

test('a second attempt returns the recorded results of say/client calls instead of calling Slack again', async () => {
  const text = `once ${prefix}`;
  const seen: string[] = [];
  let attempt = 0;
  const app = newApp((a) =>
    a.event('app_mention', async ({ event, say, client }) => {
      attempt += 1;
      const posted = await say({ text, thread_ts: event.ts });
      const updated = await client.chat.update({ channel: event.channel, ts: posted.ts!, text: `${text} (edited)` });
      seen.push(`${posted.ts}/${String(updated.ts)}`);
      if (attempt === 1) throw new Error('a bug after the side effects');
    }),
  );
  const data = jobData('events_api', appMentionPayload({ text: '<@U0000002> hi', channel: 'C0000301' }));
  const jobId = newJobId();
  await assert.rejects(app.dispatch(data, jobId), /a bug after the side effects/);
  await app.dispatch(data, jobId);
  assert.equal(postsWith(text).length, 1, 'posted once');
  assert.equal(sim.apiCalls('chat.update').filter((c) => c.args.text === `${text} (edited)`).length, 1, 'updated once');
  assert.equal(seen.length, 2);
  assert.equal(seen[0], seen[1], 'the second attempt saw the same ts as the first');
  const post = postsWith(text)[0]!;
  assert.deepEqual(post.args.metadata, { event_type: 'socketworks_effect', event_payload: { key: `${jobId}:chat.postMessage#0` } });
  const ttl = await redis.pttl(keys.effects(jobId));
  assert.ok(ttl > 3500_000 && ttl <= 3600_000, `the record expires with the dedupe window (${ttl} ms)`);
  await app.forgetJob(jobId);
  assert.equal(await redis.exists(keys.effects(jobId)), 0, 'forgotten once the job completed');
});

test("a re-run whose call has other targets (data read afresh) makes that call instead of getting the recorded one's result; the text alone may differ", async () => {
  const oncall = ['C0000311', 'C0000312'];
  const mismatches: string[] = [];
  const seen: Array<{ channel: unknown; ts: unknown }> = [];
  let attempt = 0;
  const app = new App({ token: TOKEN, slackApiUrl: sim.apiUrl, logger, redis, keyPrefix: prefix, onReplayMismatch: ({ method }) => void mismatches.push(method) });
  app.event('app_mention', async ({ client }) => {
    const target = oncall[attempt++]!;
    // The text changes on every run (a clock, a counter): not a different call.
    const header = await client.chat.postMessage({ channel: 'C0000310', text: `paging ${prefix} run ${attempt}` });
    const page = await client.chat.postMessage({ channel: target, text: `page ${prefix}` });
    seen.push({ channel: page.channel, ts: page.ts });
    assert.ok(header.ok);
    if (attempt === 1) throw new Error('transient bug after the posts');
  });
  const data = jobData('events_api', appMentionPayload({ text: '<@U0000002> hi' }));
  const jobId = newJobId();
  await assert.rejects(app.dispatch(data, jobId), /transient bug/);
  await app.dispatch(data, jobId);
  assert.deepEqual(postsWith(`page ${prefix}`).map((c) => c.args.channel), oncall, 'the second target got its page');
  assert.equal(seen[1]!.channel, 'C0000312', "the re-run got its own call's result, not the first target's");
  assert.notEqual(seen[1]!.ts, seen[0]!.ts);
  assert.equal(sim.apiCalls('chat.postMessage').filter((c) => c.ok && String(c.args.text).startsWith(`paging ${prefix}`)).length, 1, 'same target, new text: replayed, not posted again');
  assert.deepEqual(mismatches, ['chat.postMessage'], 'the mismatch is reported once');
});

test('a pending marker (the worker died mid-call): the post is found by its metadata tag, not made twice; if it never arrived, it is made', async () => {
  const effects = new EffectLog({ redis, keys, ttlSeconds: 60 });
  const app = newApp((a) => a.event('app_mention', async ({ event, say }) => void (await say({ text: `reply to ${event.text}`, thread_ts: event.ts }))));

  // Worker A wrote the marker and its post reached Slack, then it died before recording the result.
  const reached = jobData('events_api', appMentionPayload({ text: `reached ${prefix}`, channel: 'C0000302' }));
  const reachedId = newJobId();
  const event = reached.payload.event as { ts: string };
  assert.equal((await effects.begin(reachedId, 'chat.postMessage#0', 'chat.postMessage')).kind, 'fresh');
  const orphan = await app.client(TOKEN).chat.postMessage({
    channel: 'C0000302',
    thread_ts: event.ts,
    text: `reply to reached ${prefix}`,
    metadata: { event_type: 'socketworks_effect', event_payload: { key: `${reachedId}:chat.postMessage#0` } },
  });
  await app.dispatch(reached, reachedId);
  assert.equal(postsWith(`reply to reached ${prefix}`).length, 1, 'not posted again');
  assert.equal(sim.apiCalls('conversations.replies').filter((c) => c.args.ts === event.ts).length, 1, 'looked up in the thread');
  const record = await effects.read(reachedId);
  assert.deepEqual(record['chat.postMessage#0'], { state: 'done', result: { ok: true, channel: 'C0000302', ts: orphan.ts, message: (await lookupOne('C0000302', event.ts)) } });

  // Worker A wrote the marker and died before its request left: the post is made, once.
  const lost = jobData('events_api', appMentionPayload({ text: `lost ${prefix}`, channel: 'C0000302' }));
  const lostId = newJobId();
  await effects.begin(lostId, 'chat.postMessage#0', 'chat.postMessage');
  await app.dispatch(lost, lostId);
  await app.dispatch(lost, lostId);
  assert.equal(postsWith(`reply to lost ${prefix}`).length, 1, 'posted exactly once');
});

async function lookupOne(channel: string, threadTs: string): Promise<unknown> {
  const res = await fetch(`${sim.apiUrl}conversations.replies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel, ts: threadTs, include_all_metadata: true }),
  });
  return ((await res.json()) as { messages: unknown[] }).messages[0];
}

test('a 429 pauses (team, method) in Redis for Retry-After: the next job meets the pause without calling Slack; app.error never sees it', async () => {
  const errorsSeen: string[] = [];
  const app = newApp((a) => {
    a.event('app_mention', async ({ say }) => void (await say(`limited ${prefix}`)));
    a.error(async (err) => void errorsSeen.push(err.message));
  });
  sim.setRateLimit({ method: 'chat.postMessage', count: 1, retryAfterSeconds: 3 });
  const callsBefore = sim.apiCalls('chat.postMessage').length;
  const first = await app.dispatch(jobData('events_api', appMentionPayload({ text: 'a' })), newJobId()).catch((e: unknown) => e);
  const limited = rateLimitOf(first);
  assert.ok(limited, `a RateLimitedError, not ${String(first)}`);
  assert.deepEqual([limited.method, limited.teamId, limited.paused, limited.retryAfterMs], ['chat.postMessage', 'T0000001', false, 3000]);
  assert.equal(classifyError(limited), 'transient');
  const pttl = await redis.pttl(keys.rateLimit('T0000001', 'chat.postMessage'));
  assert.ok(pttl > 2000 && pttl <= 3000, `pause key PTTL ${pttl}`);

  // Another worker's job (a separate App on the same Redis) for the same team and method.
  const other = newApp((a) => a.event('app_mention', async ({ say }) => void (await say(`limited ${prefix}`))));
  const second = (await other.dispatch(jobData('events_api', appMentionPayload({ text: 'b' })), newJobId()).catch((e: unknown) => e)) as RateLimitedError;
  assert.equal(second.code, 'ERR_SLACK_RATE_LIMITED');
  assert.equal(second.paused, true);
  assert.ok(second.retryAfterMs > 1000 && second.retryAfterMs <= 3000, String(second.retryAfterMs));
  assert.equal(sim.apiCalls('chat.postMessage').length - callsBefore, 1, 'only the first call reached Slack');
  assert.deepEqual(errorsSeen, [], 'the error handler was not called for a rate limit');

  // Another method for the same team is not paused; nor is the same method for another team.
  // The simulator is one workspace and would refuse that team's post inside its Retry-After window
  // too; Slack limits each workspace apart, so the window is cleared for this check.
  sim.setRateLimit(null);
  const update = newApp((a) => a.event('app_mention', async ({ client, event }) => void (await client.chat.update({ channel: event.channel, ts: event.ts, text: 'u' }))));
  await update.dispatch(jobData('events_api', appMentionPayload({ text: 'c' })), newJobId());
  const otherTeam = appMentionPayload({ text: 'd' });
  Object.assign(otherTeam, { team_id: 'T0000009', context_team_id: 'T0000009' });
  await other.dispatch(jobData('events_api', otherTeam), newJobId());
  assert.equal(sim.apiCalls('chat.postMessage').length - callsBefore, 2, 'the other team posted');
  await redis.del(keys.rateLimit('T0000001', 'chat.postMessage'));
});

test('a Retry-After past an hour pauses for the hour: a broken value cannot park a method for years', async () => {
  const app = newApp((a) => a.event('app_mention', async ({ client, event }) => void (await client.chat.update({ channel: event.channel, ts: event.ts, text: 'u' }))));
  sim.setRateLimit({ method: 'chat.update', count: 1, retryAfterSeconds: 1e10 });
  try {
    const thrown = await app.dispatch(jobData('events_api', appMentionPayload({ text: 'huge' })), newJobId()).catch((e: unknown) => e);
    const limited = rateLimitOf(thrown);
    assert.ok(limited, `a RateLimitedError, not ${String(thrown)}`);
    assert.equal(limited.retryAfterMs, 3_600_000);
    const pttl = await redis.pttl(keys.rateLimit('T0000001', 'chat.update'));
    assert.ok(pttl > 3_500_000 && pttl <= 3_600_000, `pause key PTTL ${pttl}`);
  } finally {
    sim.setRateLimit(null);
    await redis.del(keys.rateLimit('T0000001', 'chat.update'));
  }
});

test('a rate limit the app caught (as Bolt apps do) still fails the run: the job is delayed, and its re-run replays earlier calls and posts', async () => {
  const text = `caught ${prefix}`;
  const caught: string[] = [];
  let errorHandlerCalls = 0;
  const app = newApp((a) => {
    a.event('app_mention', async ({ event, client }) => {
      await client.chat.postEphemeral({ channel: event.channel, user: 'U0000001', text: `looking ${prefix}` });
      try {
        await client.chat.postMessage({ channel: event.channel, text });
      } catch (error) {
        caught.push((error as { code: string }).code);
      }
    });
    a.error(async () => void (errorHandlerCalls += 1));
  });
  sim.setRateLimit({ method: 'chat.postMessage', count: 1, retryAfterSeconds: 2 });
  const data = jobData('events_api', appMentionPayload({ text: '<@U0000002> hi', channel: 'C0000303' }));
  const jobId = newJobId();
  const ephemeralsBefore = sim.apiCalls('chat.postEphemeral').filter((c) => c.ok).length;
  const first = await app.dispatch(data, jobId).catch((e: unknown) => e);
  const limited = rateLimitOf(first);
  assert.ok(limited, `dispatch rejects with the RateLimitedError the app caught, not ${String(first)}`);
  assert.deepEqual([limited.method, limited.paused, limited.retryAfterMs], ['chat.postMessage', false, 2000]);

  // Another job meets the pause; its listener catches the refusal too: still delayed.
  const other = await app.dispatch(jobData('events_api', appMentionPayload({ text: '<@U0000002> other', channel: 'C0000303' })), newJobId()).catch((e: unknown) => e);
  assert.equal(rateLimitOf(other)?.paused, true, `the local refusal is rethrown too, not ${String(other)}`);
  assert.deepEqual(caught, ['ERR_SLACK_RATE_LIMITED', 'ERR_SLACK_RATE_LIMITED'], 'the app saw and caught both');
  assert.equal(errorHandlerCalls, 0, 'flow control, not an app error');

  // The pause is over (the worker would have delayed the job for it), and so is Slack's window:
  // the re-run posts, once.
  await redis.del(keys.rateLimit('T0000001', 'chat.postMessage'));
  sim.setRateLimit(null);
  await app.dispatch(data, jobId);
  assert.equal(postsWith(text).length, 1, 'posted by the re-run');
  assert.equal(sim.apiCalls('chat.postEphemeral').filter((c) => c.ok).length - ephemeralsBefore, 2, 'the re-run replayed its ephemeral (the other job made its own)');
});

test('job state unreachable before a call the app caught: dispatch rejects with ERR_JOB_STATE_UNAVAILABLE (transient) instead of completing without the call', async () => {
  // A Redis nobody listens on, failing each command at once.
  const dead = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  dead.on('error', () => undefined);
  const caught: string[] = [];
  const app = new App({ token: TOKEN, slackApiUrl: sim.apiUrl, logger, redis: dead, keyPrefix: prefix });
  app.event('app_mention', async ({ say }) => {
    try {
      await say(`never ${prefix}`);
    } catch (error) {
      caught.push((error as { code: string }).code);
    }
  });
  const err = (await app.dispatch(jobData('events_api', appMentionPayload({ text: 'hi' })), newJobId()).catch((e: unknown) => e)) as { code?: string };
  assert.equal(err.code, 'ERR_JOB_STATE_UNAVAILABLE');
  assert.equal(classifyError(err), 'transient');
  assert.deepEqual(caught, ['ERR_JOB_STATE_UNAVAILABLE']);
  assert.equal(postsWith(`never ${prefix}`).length, 0);
  dead.disconnect();
});

test('respond(): 5 uses per response_url across attempts, then ERR_RESPOND_URL_EXHAUSTED (permanent) without a POST; recorded uses are replayed, not reused', async () => {
  let attempt = 0;
  const app = newApp((a) =>
    a.command('/multi', async ({ respond }) => {
      attempt += 1;
      await respond('first');
      await respond('second');
      if (attempt === 1) throw new Error('fail after two responds');
      await respond('third');
    }),
  );
  const data = jobData('slash_commands', slashCommandPayload({ command: '/multi', text: '' }));
  const url = data.payload.response_url as string;
  const jobId = newJobId();
  await assert.rejects(app.dispatch(data, jobId), /fail after two responds/);
  await app.dispatch(data, jobId);
  const posts = sim.responseUrlCalls().filter((c) => c.url === url);
  assert.deepEqual(posts.map((c) => c.body.text), ['first', 'second', 'third'], 'the retry did not respond twice');
  assert.equal(await redis.get(keys.responseUrl(url)), '3', 'three uses counted');

  // Another job (a later attempt, after its record expired) with the same URL: 2 uses left.
  const more = newApp((a) => a.command('/multi', async ({ respond }) => {
    for (let i = 0; i < 3; i++) await respond(`more ${i}`);
  }));
  const err = (await more.dispatch(data, newJobId()).catch((e: unknown) => e)) as RespondError;
  assert.equal(err.code, 'ERR_RESPOND_URL_EXHAUSTED');
  assert.equal(classifyError(err), 'permanent');
  assert.ok(!err.message.includes(url) && !err.message.includes('hooks'), 'the URL is not in the message');
  assert.deepEqual(sim.responseUrlCalls().filter((c) => c.url === url).map((c) => [c.body.text, c.status]), [
    ['first', 200],
    ['second', 200],
    ['third', 200],
    ['more 0', 200],
    ['more 1', 200],
  ], 'the sixth use was never sent');
});

test('respond() 30 minutes after the envelope arrived fails with ERR_RESPOND_URL_EXPIRED without a POST', async () => {
  const app = newApp((a) => a.command('/late', async ({ respond }) => void (await respond('too late'))));
  const data = jobData('slash_commands', slashCommandPayload({ command: '/late', text: '' }), Date.now() - 30 * 60 * 1000 - 1000);
  const err = (await app.dispatch(data, newJobId()).catch((e: unknown) => e)) as RespondError;
  assert.equal(err.code, 'ERR_RESPOND_URL_EXPIRED');
  assert.equal(classifyError(err), 'permanent');
  assert.equal(sim.responseUrlCalls().filter((c) => c.body.text === 'too late').length, 0);
});

test('respond() to a response_url that is not an http(s) URL: ERR_RESPOND_BAD_URL (permanent) at once, no use taken, no call recorded', async () => {
  for (const bad of ['not a url xoxb-secret', 'javascript:alert(1)', 'file:///etc/passwd']) {
    const app = newApp((a) => a.command('/bad', async ({ respond }) => void (await respond('never sent'))));
    const data = jobData('slash_commands', slashCommandPayload({ command: '/bad', text: '' }));
    data.payload.response_url = bad;
    const jobId = newJobId();
    // Twice, as BullMQ would retry a transient failure: both are the same permanent refusal.
    for (let attempt = 1; attempt <= 2; attempt++) {
      const err = (await app.dispatch(data, jobId).catch((e: unknown) => e)) as RespondError;
      assert.equal(err.code, 'ERR_RESPOND_BAD_URL', bad);
      assert.equal(classifyError(err), 'permanent');
      assert.ok(!err.message.includes('secret') && !err.message.includes('passwd') && !err.message.includes('alert'), err.message);
    }
    assert.equal(await redis.exists(keys.responseUrl(bad)), 0, 'no use of the URL taken');
    assert.equal(await redis.exists(keys.effects(jobId)), 0, 'no call recorded as made or pending');
  }
});

test('RedisInstallationStore: a token per team, org-wide installs by enterprise, a clear permanent error (no token) for a missing team', async () => {
  const store = new RedisInstallationStore({ redis, keyPrefix: prefix, cacheTtlMs: 0 });
  const tokenA = 'xoxb-1000000001-1000000001-teamateamateama';
  const tokenB = 'xoxb-1000000002-1000000002-teambteambteamb';
  const tokenOrg = 'xoxb-1000000003-1000000003-orgorgorgorgorg';
  await store.save({ teamId: 'TA0000001', botToken: tokenA, botUserId: 'UA0000001' });
  await store.save({ teamId: 'TB0000001', botToken: tokenB });
  await store.save({ enterpriseId: 'E0000001', isEnterpriseInstall: true, botToken: tokenOrg });

  assert.deepEqual(await store.authorize({ teamId: 'TA0000001', isEnterpriseInstall: false }), { botToken: tokenA, botUserId: 'UA0000001' });
  assert.deepEqual(await store.authorize({ teamId: 'TB0000001', isEnterpriseInstall: false }), { botToken: tokenB });
  assert.equal((await store.authorize({ teamId: 'TC0000001', enterpriseId: 'E0000001', isEnterpriseInstall: true })).botToken, tokenOrg);
  assert.equal((await store.authorize({ teamId: 'TD0000001', enterpriseId: 'E0000001', isEnterpriseInstall: false })).botToken, tokenOrg, 'a workspace of the org falls back to the org-wide install');
  const fields = await redis.hgetall(keys.installationTeam('TA0000001'));
  assert.equal(fields.bot_token, tokenA);
  assert.equal(fields.is_enterprise_install, 'false');

  const app = new App({ installationStore: store, slackApiUrl: sim.apiUrl, logger, redis, keyPrefix: prefix });
  app.event('app_mention', async ({ say, context }) => void (await say(`hello ${context.teamId} ${prefix}`)));
  for (const team of ['TA0000001', 'TB0000001']) {
    const payload = appMentionPayload({ text: 'hi' });
    Object.assign(payload, { team_id: team, context_team_id: team, authorizations: [] });
    await app.dispatch(jobData('events_api', payload), newJobId());
  }
  assert.equal(postsWith(`hello TA0000001 ${prefix}`)[0]?.token, tokenA);
  assert.equal(postsWith(`hello TB0000001 ${prefix}`)[0]?.token, tokenB);

  const missing = appMentionPayload({ text: 'hi' });
  Object.assign(missing, { team_id: 'TZ0000001', context_team_id: 'TZ0000001' });
  const err = (await app.dispatch(jobData('events_api', missing), newJobId()).catch((e: unknown) => e)) as Error & { code: string };
  assert.equal(err.code, 'ERR_AUTHORIZE_FAILED');
  assert.match(err.message, /no installation for team TZ0000001/);
  assert.equal(classifyError(err), 'permanent');
  for (const t of [tokenA, tokenB, tokenOrg]) assert.ok(!err.message.includes(t));

  assert.equal(await store.delete({ teamId: 'TB0000001' }), true);
  await assert.rejects(store.authorize({ teamId: 'TB0000001', isEnterpriseInstall: false }), /no installation for team TB0000001/);
  await assert.rejects(store.save({ teamId: 'TA0000001', botToken: 'xapp-nope' }), /bot token starting with xoxb-/);
});
