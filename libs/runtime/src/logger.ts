// pino JSON logs with one list of redaction paths, plus a last line of defence: any Slack token
// shape that reaches a serialized line anyway (inside an error message from a library, say) is
// censored before the line is written.
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Object paths censored in every log line. Tested one by one in logger.test.ts. */
export const REDACT_PATHS: readonly string[] = [
  'token',
  '*.token',
  'appToken',
  '*.appToken',
  'botToken',
  '*.botToken',
  'signingSecret',
  '*.signingSecret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-slack-signature"]',
  '*.headers["x-slack-signature"]',
  'redisUrl',
  '*.redisUrl',
];

export const CENSOR = '[redacted]';

/** Slack token shapes: app-level, bot, user, workspace/enterprise, refresh and config tokens. */
const TOKEN_PATTERN = /\bx(?:app|oxb|oxp|oxa|oxe|oxr|oxc)-[A-Za-z0-9-]+/g;
/** Passwords in connection URLs (`redis://user:secret@host`). */
const URL_PASSWORD_PATTERN = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"]*:)[^@\s"]+@/gi;

export function censorSecrets(line: string): string {
  return line.replace(TOKEN_PATTERN, CENSOR).replace(URL_PASSWORD_PATTERN, `$1${CENSOR}@`);
}

export interface CreateLoggerOptions {
  /** Service name, bound as `service` on every line. */
  name: string;
  /** @defaultValue 'info' */
  level?: string;
  /** Where lines go. @defaultValue stdout */
  destination?: DestinationStream;
  /** Extra secrets to censor wherever they appear (e.g. the configured tokens themselves). */
  secrets?: readonly string[];
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 8);
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.name, pid: process.pid },
    redact: { paths: [...REDACT_PATHS], censor: CENSOR },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      streamWrite: (line) => {
        let out = censorSecrets(line);
        for (const secret of secrets) out = out.split(secret).join(CENSOR);
        return out;
      },
    },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
