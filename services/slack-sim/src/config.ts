// The simulator service's whole configuration: one zod schema over the environment, read once in
// main.ts. A bad value stops the process with the variable's name, never its value.
import { z } from 'zod';
import { env } from '@socketworks/runtime';

/** An optional token: unset or empty means "accept any token of that kind". */
const optionalToken = (prefix: string) => z.preprocess((v) => (v === '' ? undefined : v), env.token(prefix).optional());

export const configSchema = z.object({
  /** Port for everything (Web API, sockets, response_urls, control API); 0 picks a free one. */
  SIM_PORT: env.port(3999),
  /** Interface to listen on. Keep 127.0.0.1 unless the sim runs in a container. */
  SIM_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('127.0.0.1')),
  /** Base URL clients reach the sim under, when not http://127.0.0.1:<port> (a compose service name). */
  SIM_PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), env.url(['http:', 'https:']).optional()),
  /** Unacked events_api envelopes are redelivered after this many milliseconds. */
  SIM_REDELIVERY_TIMEOUT_MS: env.int({ min: 1, max: 3_600_000, default: 3000 }),
  /** Deliveries, acks and calls kept for the control API's reads; older ones are forgotten (stats keep counting). */
  SIM_MAX_RECORDS: env.int({ min: 1, default: 100000 }),
  /** When set, the only app-level token apps.connections.open accepts. */
  SLACK_APP_TOKEN: optionalToken('xapp-'),
  /** When set, the only bot token the Web API accepts. */
  SLACK_BOT_TOKEN: optionalToken('xoxb-'),
  LOG_LEVEL: env.logLevel(),
});

export type SimConfig = z.output<typeof configSchema>;
