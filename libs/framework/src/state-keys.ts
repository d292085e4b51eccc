// Every Redis key the framework writes, in one place. All of them sit under the queue prefix's
// `{hash tag}`, so a Redis Cluster keeps them in the queues' slot and the Lua scripts that touch
// several of them stay single-slot.
import { createHash } from 'node:crypto';
import { bullPrefix } from '@socketworks/protocol';

export interface StateKeys {
  /** Hash: field = call position (`chat.postMessage#0`, `respond#1`), value = pending marker or result. */
  effects(jobId: string): string;
  /** String with a PX TTL = Slack's Retry-After: while it exists, `method` is not called for the team. */
  rateLimit(teamId: string, method: string): string;
  /** Counter of POSTs to one response_url, expiring with the URL. The URL is hashed: its path is a secret. */
  responseUrl(url: string): string;
  /** Hash: one workspace's installation. */
  installationTeam(teamId: string): string;
  /** Hash: an org-wide (Enterprise Grid) installation. */
  installationEnterprise(enterpriseId: string): string;
}

/** @param keyPrefix `QUEUE_PREFIX` (`socketworks` → keys under `{socketworks}:`) */
export function stateKeys(keyPrefix: string): StateKeys {
  const p = bullPrefix(keyPrefix);
  return {
    effects: (jobId) => `${p}:effects:${jobId}`,
    rateLimit: (teamId, method) => `${p}:ratelimit:${teamId}:${method}`,
    responseUrl: (url) => `${p}:respond-url:${createHash('sha256').update(url).digest('hex')}`,
    installationTeam: (teamId) => `${p}:installation:team:${teamId}`,
    installationEnterprise: (enterpriseId) => `${p}:installation:enterprise:${enterpriseId}`,
  };
}
