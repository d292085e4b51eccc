// A private 3-master Redis Cluster from plain redis-server processes on spare ports, for proving
// that the product's keys (one `{hash tag}` per prefix) work on a cluster.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './ports';
import { waitFor } from './wait';

const run = promisify(execFile);

export interface PrivateCluster {
  /** A seed node URL (`redis://127.0.0.1:<port>`); with REDIS_CLUSTER=true the services discover the rest. */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

export async function startPrivateCluster(masters = 3): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i += 1) {
      const port = await freePort();
      ports.push(port);
      children.push(
        spawn(
          'redis-server',
          [
            '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
            '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000',
            '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction',
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) await waitFor(() => ping(port), { timeoutMs: 10000, message: `redis-server on ${port}` });
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) {
      await waitFor(async () => (await clusterState(port)) === 'ok', { timeoutMs: 20000, message: `cluster_state:ok on ${port}` });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
}

async function withNode<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

function ping(port: number): Promise<boolean> {
  return withNode(port, async (r) => (await r.ping()) === 'PONG');
}

function clusterState(port: number): Promise<string | undefined> {
  return withNode(port, async (r) => /cluster_state:(\w+)/.exec(String(await r.call('CLUSTER', 'INFO')))?.[1]);
}
