// A small CLI to save (or delete) an installation in the Redis installation store the worker reads
// when SLACK_INSTALLATION_STORE=redis. The bot token comes from SLACK_BOT_TOKEN in the environment,
// never from an argument (arguments are visible to every user of the host in `ps`).
//
//   SLACK_BOT_TOKEN=xoxb-… REDIS_URL=… QUEUE_PREFIX=… node services/worker/dist/save-installation.js \
//     --team-id T0123 [--enterprise-id E0123] [--enterprise-install] [--bot-user-id U0123] [--bot-id B0123] [--app-id A0123]
//   REDIS_URL=… node services/worker/dist/save-installation.js --delete --team-id T0123
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { RedisInstallationStore, type Installation } from '@socketworks/framework';
import { createLogger, createRedisConnection, describeError, env, loadConfig } from '@socketworks/runtime';

const cliEnvSchema = z.object({
  SLACK_BOT_TOKEN: env.token('xoxb-').optional(),
  REDIS_URL: env.redisUrl(),
  QUEUE_PREFIX: env.queuePrefix(),
});

const USAGE = `usage: SLACK_BOT_TOKEN=xoxb-… save-installation --team-id T… [--enterprise-id E…] [--enterprise-install] [--bot-user-id U…] [--bot-id B…] [--app-id A…]
       save-installation --delete (--team-id T… | --enterprise-install --enterprise-id E…)
Reads REDIS_URL and QUEUE_PREFIX (the worker's) from the environment.`;

/** Runs the CLI; returns the exit code. `write` gets the lines a user reads (never the token). */
export async function runSaveInstallation(argv: string[], source: Record<string, string | undefined>, write: (line: string) => void): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        'team-id': { type: 'string' },
        'enterprise-id': { type: 'string' },
        'enterprise-install': { type: 'boolean', default: false },
        'bot-user-id': { type: 'string' },
        'bot-id': { type: 'string' },
        'app-id': { type: 'string' },
        delete: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    write(`${describeError(err).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    write(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig(cliEnvSchema, source);
  } catch (err) {
    write(describeError(err).message);
    return 2;
  }
  const who = {
    ...(args['team-id'] ? { teamId: args['team-id'] } : {}),
    ...(args['enterprise-id'] ? { enterpriseId: args['enterprise-id'] } : {}),
    isEnterpriseInstall: args['enterprise-install'] === true,
  };
  const where = who.isEnterpriseInstall ? `enterprise ${who.enterpriseId ?? '?'} (org-wide)` : `team ${who.teamId ?? '?'}`;
  if (who.isEnterpriseInstall ? !who.enterpriseId : !who.teamId) {
    write(`an installation needs --team-id (or --enterprise-install with --enterprise-id)\n${USAGE}`);
    return 2;
  }
  if (!args.delete && !config.SLACK_BOT_TOKEN) {
    write('SLACK_BOT_TOKEN is required: the bot token to save (from the environment, never an argument)');
    return 2;
  }
  const logger = createLogger({ name: 'save-installation', level: 'warn', secrets: config.SLACK_BOT_TOKEN ? [config.SLACK_BOT_TOKEN] : [] });
  const redis = createRedisConnection(config.REDIS_URL, { role: 'command', name: 'save-installation', logger, overrides: { connectTimeout: 5000 } });
  const store = new RedisInstallationStore({ redis, keyPrefix: config.QUEUE_PREFIX, cacheTtlMs: 0 });
  try {
    if (args.delete) {
      const deleted = await store.delete(who);
      write(deleted ? `deleted the installation of ${where}` : `no installation of ${where} to delete`);
      return deleted ? 0 : 1;
    }
    const installation: Installation = {
      ...who,
      botToken: config.SLACK_BOT_TOKEN!,
      ...(args['bot-user-id'] ? { botUserId: args['bot-user-id'] } : {}),
      ...(args['bot-id'] ? { botId: args['bot-id'] } : {}),
      ...(args['app-id'] ? { appId: args['app-id'] } : {}),
    };
    await store.save(installation);
    write(`saved the installation of ${where}`);
    return 0;
  } catch (err) {
    write(`failed: ${describeError(err).message}`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

if (require.main === module) {
  void runSaveInstallation(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`)).then((code) => {
    process.exitCode = code;
  });
}
