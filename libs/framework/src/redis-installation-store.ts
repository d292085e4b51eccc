// Bot tokens for many workspaces (and Enterprise Grid org-wide installs), kept in Redis hashes:
//
//   {prefix}:installation:team:<team_id>              one workspace's install
//   {prefix}:installation:enterprise:<enterprise_id>  an org-wide install (serves every workspace of the org)
//
// fields: bot_token (secret), bot_user_id, bot_id, app_id, team_id, enterprise_id,
// is_enterprise_install ('true' | 'false'), installed_at (epoch ms). No TTL: an installation lives
// until it is deleted. The lookup follows Bolt's: an org-wide install by enterprise, otherwise the
// team, falling back to the enterprise (PROTOCOL.md §8).
import type { RedisClient } from '@socketworks/runtime';
import { describeError } from '@socketworks/runtime';
import { FrameworkError } from './errors';
import type { Authorization, AuthorizeQuery, InstallationStore } from './installation-store';
import { stateKeys, type StateKeys } from './state-keys';

export interface Installation {
  /** The workspace; required unless `isEnterpriseInstall`. */
  teamId?: string;
  /** The Enterprise Grid org; required when `isEnterpriseInstall`. */
  enterpriseId?: string;
  /** An org-wide install: one token for every workspace of the org. @defaultValue false */
  isEnterpriseInstall?: boolean;
  /** `xoxb-…`. A secret: never log it. */
  botToken: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
}

export interface RedisInstallationStoreOptions {
  /** A 'command'-role connection, owned by the caller. */
  redis: RedisClient;
  /** `QUEUE_PREFIX`. @defaultValue 'socketworks' */
  keyPrefix?: string;
  /**
   * How long a found installation is reused without asking Redis again. A missing one is never
   * cached (a new install works at once); a deleted or rotated token is seen within this.
   * @defaultValue 10000
   */
  cacheTtlMs?: number;
}

export class RedisInstallationStore implements InstallationStore {
  readonly #redis: RedisClient;
  readonly #keys: StateKeys;
  readonly #cacheTtlMs: number;
  readonly #cache = new Map<string, { auth: Authorization; until: number }>();

  constructor(options: RedisInstallationStoreOptions) {
    this.#redis = options.redis;
    this.#keys = stateKeys(options.keyPrefix ?? 'socketworks');
    this.#cacheTtlMs = options.cacheTtlMs ?? 10000;
  }

  async authorize(query: AuthorizeQuery): Promise<Authorization> {
    const candidates: string[] = [];
    if (query.isEnterpriseInstall && query.enterpriseId) candidates.push(this.#keys.installationEnterprise(query.enterpriseId));
    if (query.teamId) candidates.push(this.#keys.installationTeam(query.teamId));
    if (query.enterpriseId && !query.isEnterpriseInstall) candidates.push(this.#keys.installationEnterprise(query.enterpriseId));
    for (const key of candidates) {
      const auth = await this.#read(key);
      if (auth) return auth;
    }
    const who = [query.teamId ? `team ${query.teamId}` : '', query.enterpriseId ? `enterprise ${query.enterpriseId}` : ''].filter(Boolean).join(', ');
    throw new FrameworkError('ERR_AUTHORIZE_FAILED', `no installation for ${who || 'a payload that names no team or enterprise'}; save one (worker README, "Many workspaces")`);
  }

  async #read(key: string): Promise<Authorization | undefined> {
    const cached = this.#cache.get(key);
    if (cached && cached.until > Date.now()) return cached.auth;
    let fields: Record<string, string>;
    try {
      fields = await this.#redis.hgetall(key);
    } catch (err) {
      throw new FrameworkError('ERR_INSTALLATION_STORE_UNAVAILABLE', `installation store unavailable: ${describeError(err).message}`, { cause: err });
    }
    if (!fields.bot_token) {
      this.#cache.delete(key);
      return undefined;
    }
    const auth: Authorization = Object.freeze({ botToken: fields.bot_token, ...(fields.bot_user_id ? { botUserId: fields.bot_user_id } : {}) });
    if (this.#cacheTtlMs > 0) this.#cache.set(key, { auth, until: Date.now() + this.#cacheTtlMs });
    return auth;
  }

  /** Saves (or replaces) an installation. */
  async save(installation: Installation): Promise<void> {
    const key = this.#keyOf(installation);
    if (!installation.botToken?.startsWith('xoxb-')) throw new FrameworkError('ERR_INSTALLATION_INVALID', 'an installation needs a bot token starting with xoxb-');
    const fields: Record<string, string> = {
      bot_token: installation.botToken,
      is_enterprise_install: String(installation.isEnterpriseInstall === true),
      installed_at: String(Date.now()),
    };
    if (installation.teamId) fields.team_id = installation.teamId;
    if (installation.enterpriseId) fields.enterprise_id = installation.enterpriseId;
    if (installation.botUserId) fields.bot_user_id = installation.botUserId;
    if (installation.botId) fields.bot_id = installation.botId;
    if (installation.appId) fields.app_id = installation.appId;
    // Replace, not merge: fields of an earlier install (an old bot user) must not linger.
    const results = await this.#redis.multi().del(key).hset(key, fields).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new FrameworkError('ERR_INSTALLATION_STORE_UNAVAILABLE', 'saving the installation failed', { cause: failed?.[0] });
    this.#cache.delete(key);
  }

  /** Deletes an installation (the app was uninstalled); true if there was one. */
  async delete(installation: Pick<Installation, 'teamId' | 'enterpriseId' | 'isEnterpriseInstall'>): Promise<boolean> {
    const key = this.#keyOf(installation);
    this.#cache.delete(key);
    return (await this.#redis.del(key)) > 0;
  }

  #keyOf(installation: Pick<Installation, 'teamId' | 'enterpriseId' | 'isEnterpriseInstall'>): string {
    if (installation.isEnterpriseInstall) {
      if (!installation.enterpriseId) throw new FrameworkError('ERR_INSTALLATION_INVALID', 'an org-wide installation needs an enterprise id');
      return this.#keys.installationEnterprise(installation.enterpriseId);
    }
    if (!installation.teamId) throw new FrameworkError('ERR_INSTALLATION_INVALID', 'an installation needs a team id (or isEnterpriseInstall with an enterprise id)');
    return this.#keys.installationTeam(installation.teamId);
  }
}
