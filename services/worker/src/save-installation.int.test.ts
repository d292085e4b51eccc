// The save-installation CLI against a real Redis: what it writes, what it prints (never the
// token), and how it refuses bad input.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stateKeys } from '@socketworks/framework';
import { deleteKeys, getTestRedisUrl, REPO_ROOT, spawnService, uniquePrefix } from '@socketworks/testing';
import { runSaveInstallation } from './save-installation';

const TOKEN = 'xoxb-2000000001-2000000001-clitokenclitoken';
const prefix = uniquePrefix('save-installation');
const keys = stateKeys(prefix);
let redisUrl: string;
let redis: Redis;

before(async () => {
  redisUrl = await getTestRedisUrl();
  redis = new Redis(redisUrl);
});

after(async () => {
  redis?.disconnect();
  if (redisUrl) await deleteKeys(redisUrl, `{${prefix}}*`);
});

async function run(argv: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runSaveInstallation(argv, { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, ...extraEnv }, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

test('saves a workspace and an org-wide installation; prints where, never the token; deletes', async () => {
  const team = await run(['--team-id', 'T0000501', '--bot-user-id', 'U0000501', '--app-id', 'A0000501'], { SLACK_BOT_TOKEN: TOKEN });
  assert.deepEqual(team, { code: 0, out: 'saved the installation of team T0000501' });
  const fields = await redis.hgetall(keys.installationTeam('T0000501'));
  assert.equal(fields.bot_token, TOKEN);
  assert.equal(fields.bot_user_id, 'U0000501');
  assert.equal(fields.app_id, 'A0000501');
  assert.equal(fields.team_id, 'T0000501');
  assert.equal(fields.is_enterprise_install, 'false');
  assert.equal(await redis.ttl(keys.installationTeam('T0000501')), -1, 'an installation does not expire');

  const org = await run(['--enterprise-id', 'E0000501', '--enterprise-install'], { SLACK_BOT_TOKEN: TOKEN });
  assert.deepEqual(org, { code: 0, out: 'saved the installation of enterprise E0000501 (org-wide)' });
  assert.equal((await redis.hgetall(keys.installationEnterprise('E0000501'))).is_enterprise_install, 'true');

  assert.deepEqual(await run(['--delete', '--team-id', 'T0000501']), { code: 0, out: 'deleted the installation of team T0000501' });
  assert.equal(await redis.exists(keys.installationTeam('T0000501')), 0);
  assert.deepEqual(await run(['--delete', '--team-id', 'T0000501']), { code: 1, out: 'no installation of team T0000501 to delete' });
});

test('refuses: no token, a token that is not a bot token (not echoed), no team, unknown flags', async () => {
  assert.equal((await run(['--team-id', 'T0000502'])).code, 2);
  const wrong = 'xapp-1-A0000001-0000000001-notabottokennotabot';
  const bad = await run(['--team-id', 'T0000502'], { SLACK_BOT_TOKEN: wrong });
  assert.equal(bad.code, 2);
  assert.match(bad.out, /SLACK_BOT_TOKEN must be a Slack token starting with xoxb-/);
  assert.ok(!bad.out.includes(wrong));
  const noTeam = await run([], { SLACK_BOT_TOKEN: TOKEN });
  assert.equal(noTeam.code, 2);
  assert.match(noTeam.out, /needs --team-id/);
  assert.equal((await run(['--enterprise-install', '--team-id', 'T0000502'], { SLACK_BOT_TOKEN: TOKEN })).code, 2, 'org-wide needs the enterprise id');
  const flag = await run(['--token', TOKEN], { SLACK_BOT_TOKEN: TOKEN });
  assert.equal(flag.code, 2);
  assert.match(flag.out, /Unknown option '--token'/);
  assert.equal(await redis.exists(keys.installationTeam('T0000502')), 0, 'nothing was written');
});

test('the built CLI runs as a process', async () => {
  const proc = spawnService({
    name: 'save-installation',
    entry: join(REPO_ROOT, 'services/worker/dist/save-installation.js'),
    env: { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, SLACK_BOT_TOKEN: TOKEN },
  });
  proc.child.stdin?.end();
  // No arguments beyond the entry: the team id is missing.
  if (!proc.exited()) await once(proc.child, 'exit');
  assert.equal(proc.child.exitCode, 2);
  assert.match(proc.output(), /needs --team-id/);
  assert.ok(!proc.output().includes(TOKEN));
});
