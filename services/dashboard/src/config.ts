// The dashboard's whole configuration: one zod schema keyed by the variable names (README.md lists
// them), parsed once in main.ts. The dashboard can retry and show every job, so it refuses to
// start without authentication unless it is bound to loopback and told to run open.
import { z } from 'zod';
import { env, loadConfig } from '@socketworks/runtime';

/** Shorter secrets are refused: the logger only censors secrets of 8 characters or more. */
export const MIN_PASSWORD_LENGTH = 8;
export const MIN_TOKEN_LENGTH = 16;

const optionalSecret = (min: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.string().refine((v) => v.length >= min, { message: `must be at least ${min} characters` }).optional());

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export const NO_CREDENTIALS_PROBLEM =
  'are not set: the dashboard shows and retries every job, so it needs DASHBOARD_USER and DASHBOARD_PASSWORD (HTTP Basic) or DASHBOARD_TOKEN (bearer); ' +
  'DASHBOARD_OPEN=true runs without authentication, on a loopback DASHBOARD_HOST (127.0.0.1, ::1, localhost) only';

const schema = z
  .object({
    /** Port of the dashboard, its JSON API, /metrics, /healthz and /readyz. 0 picks a free one (logged). */
    DASHBOARD_PORT: env.port(3030),
    /** Interface to bind. Keep it internal: the dashboard is for operators, never for the internet. */
    DASHBOARD_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('0.0.0.0')),
    /** HTTP Basic user name (with DASHBOARD_PASSWORD). */
    DASHBOARD_USER: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
    /** HTTP Basic password. Never logged. */
    DASHBOARD_PASSWORD: optionalSecret(MIN_PASSWORD_LENGTH),
    /** Bearer token (`Authorization: Bearer …`), for scripts. Never logged. */
    DASHBOARD_TOKEN: optionalSecret(MIN_TOKEN_LENGTH),
    /** Run without authentication. Allowed only when DASHBOARD_HOST is loopback. */
    DASHBOARD_OPEN: env.bool(false),
    /** View only: no retry, delete, pause or clean, enforced by the server (bull-board and the JSON API). */
    DASHBOARD_READ_ONLY: env.bool(false),
    /**
     * How long one reading of the queue counts serves /metrics and the pages. A scrape storm then
     * costs Redis at most one round of reads per interval.
     */
    DASHBOARD_METRICS_CACHE_MS: env.int({ min: 0, max: 60000, default: 5000 }),
    /**
     * Searching the events queue by envelope_id (its job ids are event ids) reads at most this
     * many of the most recent jobs of each state.
     */
    DASHBOARD_SEARCH_SCAN_LIMIT: env.int({ min: 0, max: 100000, default: 1000 }),
    /** "Retry all failed" moves at most this many jobs per click; the answer says how many remain. */
    DASHBOARD_RETRY_ALL_MAX: env.int({ min: 1, max: 1000000, default: 10000 }),
    /** Where the queues live. Never logged (it may carry a password). */
    REDIS_URL: env.redisUrl(),
    /** `true`: REDIS_URL is a seed node of a Redis Cluster. */
    REDIS_CLUSTER: env.bool(false),
    /** BullMQ key prefix of the queues to show; the same value the connector and workers use. */
    QUEUE_PREFIX: env.queuePrefix(),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine((c, ctx) => {
    const problem = (variable: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [variable], message });
    if (c.DASHBOARD_USER !== undefined && c.DASHBOARD_PASSWORD === undefined) problem('DASHBOARD_PASSWORD', 'is required when DASHBOARD_USER is set');
    if (c.DASHBOARD_PASSWORD !== undefined && c.DASHBOARD_USER === undefined) problem('DASHBOARD_USER', 'is required when DASHBOARD_PASSWORD is set');
    if (c.DASHBOARD_USER !== undefined && c.DASHBOARD_USER.includes(':')) problem('DASHBOARD_USER', 'must not contain ":" (HTTP Basic separates user and password with it)');
    const hasCredentials = c.DASHBOARD_PASSWORD !== undefined || c.DASHBOARD_TOKEN !== undefined;
    if (c.DASHBOARD_OPEN) {
      if (!isLoopbackHost(c.DASHBOARD_HOST)) {
        problem(
          'DASHBOARD_OPEN',
          'is allowed only with a loopback DASHBOARD_HOST (127.0.0.1, ::1, localhost): an open dashboard on another interface lets anyone on the network see payloads and retry jobs. Set DASHBOARD_USER and DASHBOARD_PASSWORD or DASHBOARD_TOKEN instead',
        );
      }
      // Two contradictory intents: say so rather than silently pick one.
      if (hasCredentials) problem('DASHBOARD_OPEN', 'cannot be combined with DASHBOARD_PASSWORD or DASHBOARD_TOKEN: unset one or the other');
    } else if (!hasCredentials && c.DASHBOARD_USER === undefined) {
      problem('DASHBOARD_USER, DASHBOARD_PASSWORD, DASHBOARD_TOKEN', NO_CREDENTIALS_PROBLEM);
    }
  })
  .transform((c) => ({
    port: c.DASHBOARD_PORT,
    host: c.DASHBOARD_HOST,
    auth: {
      open: c.DASHBOARD_OPEN,
      basic: c.DASHBOARD_USER !== undefined && c.DASHBOARD_PASSWORD !== undefined ? { user: c.DASHBOARD_USER, password: c.DASHBOARD_PASSWORD } : undefined,
      bearerToken: c.DASHBOARD_TOKEN,
    },
    readOnly: c.DASHBOARD_READ_ONLY,
    metricsCacheMs: c.DASHBOARD_METRICS_CACHE_MS,
    searchScanLimit: c.DASHBOARD_SEARCH_SCAN_LIMIT,
    retryAllMax: c.DASHBOARD_RETRY_ALL_MAX,
    redisUrl: c.REDIS_URL,
    redisCluster: c.REDIS_CLUSTER,
    queuePrefix: c.QUEUE_PREFIX,
    logLevel: c.LOG_LEVEL,
  }));

export const dashboardConfigSchema = schema;

export type DashboardConfig = Readonly<z.output<typeof schema>>;
export type DashboardAuthConfig = DashboardConfig['auth'];

/** Parses the environment once; throws `ConfigError` (code `ERR_CONFIG_INVALID`) naming each bad variable, never a value. */
export function loadDashboardConfig(source: NodeJS.ProcessEnv | Record<string, string | undefined>): DashboardConfig {
  return loadConfig(dashboardConfigSchema, source);
}

/** The secrets the logger must censor wherever they appear. */
export function configSecrets(config: DashboardConfig): string[] {
  return [config.auth.basic?.password, config.auth.bearerToken].filter((s): s is string => s !== undefined);
}
