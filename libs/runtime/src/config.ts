// Environment parsing shared by the services. Each service owns one zod schema keyed by the
// variable names and calls `loadConfig` once in main.ts. A bad value stops the service with the
// variable's name and the problem, never the value (it may be a token).
import { z } from 'zod';
import { SocketworksError } from './errors';

export interface ConfigProblem {
  variable: string;
  problem: string;
}

export class ConfigError extends SocketworksError {
  constructor(readonly problems: ConfigProblem[]) {
    super('ERR_CONFIG_INVALID', `invalid configuration: ${problems.map((p) => `${p.variable} ${p.problem}`).join('; ')}`);
  }
}

export function loadConfig<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv | Record<string, string | undefined>): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map(describeIssue));
  }
  return deepFreeze(result.data);
}

function describeIssue(issue: z.ZodIssue): ConfigProblem {
  const variable = String(issue.path[0] ?? '(environment)');
  return { variable, problem: problemText(issue) };
}

// Zod's own messages can quote the received value; these never do.
function problemText(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.received === 'undefined' ? 'is required' : `must be a ${issue.expected}`;
    case 'invalid_enum_value':
      return `must be one of: ${issue.options.join(', ')}`;
    case 'invalid_string':
      // A regex's message is written with the schema (zod's default, "Invalid", quotes nothing).
      if (issue.validation === 'regex') return issue.message === 'Invalid' ? 'has the wrong format' : issue.message;
      return typeof issue.validation === 'string' ? `must be a valid ${issue.validation}` : 'has the wrong format';
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'custom':
      return issue.message;
    default:
      return 'is not valid';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Unset and empty are the same thing for an environment variable. */
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

/** Spaces around a value are not part of it; a blank value is unset. */
const unsetIfBlank = (v: unknown) => (typeof v === 'string' ? unsetIfEmpty(v.trim()) : v);

/** See `env.int`. A custom issue, so the message never quotes the value. */
function parseWholeNumber(text: string, ctx: z.RefinementCtx): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a whole number in decimal digits' });
    return z.NEVER;
  }
  return n;
}

/** Schema fragments for variables several services share. Messages never include the value. */
export const env = {
  string: () => z.preprocess(unsetIfEmpty, z.string()),
  /**
   * A whole number in decimal digits, optionally signed with `-`; surrounding spaces are ignored and
   * a blank value counts as unset. Anything else (`0x50`, `1e3`, `1.5`, `Infinity`) is refused:
   * `Number()` would read `' '` as 0 (a random port), `0x50` as 80 and `1e3` as 1000.
   */
  int: (opts: { min?: number; max?: number; default?: number } = {}) => {
    let s = z.number().int({ message: 'must be a whole number' });
    if (opts.min !== undefined) s = s.min(opts.min);
    if (opts.max !== undefined) s = s.max(opts.max);
    const digits = z.string().transform(parseWholeNumber).pipe(s);
    return z.preprocess(unsetIfBlank, opts.default === undefined ? digits : digits.default(String(opts.default)));
  },
  port: (defaultPort: number) => env.int({ min: 0, max: 65535, default: defaultPort }),
  /** true/false, 1/0, yes/no in any case ("TRUE", "Yes"), spaces around ignored; blank is unset. */
  bool: (defaultValue: boolean) =>
    z.preprocess(
      (v) => (typeof v === 'string' ? unsetIfEmpty(v.trim().toLowerCase()) : v),
      z
        .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
        .default(defaultValue ? 'true' : 'false')
        .transform((v) => v === 'true' || v === '1' || v === 'yes'),
    ),
  url: (protocols: string[], defaultValue?: string) => {
    const s = z.string().refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );
    return z.preprocess(unsetIfEmpty, defaultValue === undefined ? s : s.default(defaultValue));
  },
  redisUrl: () => env.url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** Slack API base URL; a trailing `/` is added, as @slack/web-api does. */
  slackApiUrl: () => env.url(['http:', 'https:'], 'https://slack.com/api/').transform((v) => (v.endsWith('/') ? v : `${v}/`)),
  token: (prefix: string) =>
    z.preprocess(
      unsetIfEmpty,
      z.string({ required_error: 'is required' }).refine((v) => v.startsWith(prefix) && v.length > prefix.length + 4, {
        message: `must be a Slack token starting with ${prefix}`,
      }),
    ),
  logLevel: () =>
    z.preprocess(unsetIfEmpty, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  /** Braces come in pairs or not at all: `{abc` would make the hash tag `{abc` (bullPrefix adds `{…}`). */
  queuePrefix: () =>
    z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^(?:\{[A-Za-z0-9_.-]{1,64}\}|[A-Za-z0-9_.-]{1,64})$/, { message: 'must be 1-64 letters, digits, _ . or -, optionally in {braces}' })
        .default('socketworks'),
    ),
};
