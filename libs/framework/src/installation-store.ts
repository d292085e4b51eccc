// Where bot tokens come from. One workspace today (SLACK_BOT_TOKEN); the interface is Bolt's
// `authorize` seam, so a Redis-backed store for many installations drops in without touching
// listeners.
import { FrameworkError } from './errors';

export interface AuthorizeQuery {
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall: boolean;
}

export interface Authorization {
  botToken: string;
  /** The bot's user id, when the store knows it (used to ignore the app's own messages). */
  botUserId?: string;
}

export interface InstallationStore {
  /**
   * The bot token for the payload's workspace. Throw a `FrameworkError` with code
   * `ERR_AUTHORIZE_FAILED` when there is no installation (the job fails without retries); throw
   * anything else for a passing failure (the job is retried).
   */
  authorize(query: AuthorizeQuery): Promise<Authorization>;
}

/** One token for every payload: a single-workspace app. */
export class SingleTokenInstallationStore implements InstallationStore {
  readonly #authorization: Authorization;

  constructor(botToken: string, options: { botUserId?: string } = {}) {
    if (!botToken) throw new FrameworkError('ERR_AUTHORIZE_FAILED', 'SingleTokenInstallationStore needs a bot token');
    this.#authorization = Object.freeze({ botToken, ...(options.botUserId ? { botUserId: options.botUserId } : {}) });
  }

  async authorize(): Promise<Authorization> {
    return this.#authorization;
  }
}
