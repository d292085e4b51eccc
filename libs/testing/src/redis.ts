// Redis for tests is always real: REDIS_URL when set (CI sets it), else a Redis answering on
// 127.0.0.1:6379 (the README's default), else a container from testcontainers. Fault tests start
// their own redis-server on a spare port so the shared one stays up.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from './ports';
import { waitFor } from './wait';

/** Where `npm test` looks for a Redis when REDIS_URL is not set. */
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

let resolved: Promise<string> | undefined;

export async function getTestRedisUrl(): Promise<string> {
  resolved ??= resolveTestRedisUrl({ env: process.env, defaultUrl: DEFAULT_TEST_REDIS_URL, startContainer });
  return resolved;
}

export interface TestRedisSources {
  env: Readonly<Record<string, string | undefined>>;
  defaultUrl: string;
  startContainer: () => Promise<string>;
}

/** REDIS_URL, else `defaultUrl` if a Redis answers there, else a container. */
export async function resolveTestRedisUrl(sources: TestRedisSources): Promise<string> {
  if (sources.env.REDIS_URL) return sources.env.REDIS_URL;
  if (await answersPing(sources.defaultUrl)) return sources.defaultUrl;
  return sources.startContainer();
}

/** Whether a Redis at `url` answers PING within a second (no retries). */
async function answersPing(url: string): Promise<boolean> {
  const probe = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true, connectTimeout: 1000, commandTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

async function startContainer(): Promise<string> {
  // Loaded only when needed: people with Docker and no Redis of their own.
  const { GenericContainer } = await import('testcontainers');
  try {
    const container = await new GenericContainer('redis:7-alpine')
      .withCommand(['redis-server', '--maxmemory-policy', 'noeviction'])
      .withExposedPorts(6379)
      .start();
    return `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  } catch (err) {
    throw new Error(
      `REDIS_URL is not set, no Redis answers on ${DEFAULT_TEST_REDIS_URL} and no Redis container could be started: start redis-server, set REDIS_URL or start Docker`,
      { cause: err },
    );
  }
}

/** Deletes every key under a test's queue prefix. */
export async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface PrivateRedisOptions {
  /**
   * Keep the data across stop()/start(): an append-only file in a fresh directory under the OS
   * temp dir (left there). Redis writes the AOF before it answers a client, so the SIGKILL of
   * stop() loses nothing that was acknowledged. @defaultValue false
   */
  persist?: boolean;
}

/** A redis-server of the test's own on a spare port, to stop and start under load. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const persistence = options.persist
    ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', mkdtempSync(join(tmpdir(), 'sw-redis-'))]
    : ['--appendonly', 'no'];
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--maxmemory-policy', 'noeviction'], {
      stdio: 'ignore',
    });
    await waitFor(() => answersPing(`redis://127.0.0.1:${port}`), { timeoutMs: 10000, message: `redis-server on port ${port}` });
  };
  const stop = async () => {
    // Killed by our signal, a child has no exit code, only a signal code.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}
