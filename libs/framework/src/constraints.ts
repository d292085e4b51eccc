// What each `app.<kind>(constraint, …)` call matches. Constraints are checked once at
// registration (an unknown key is a mistake worth failing loudly for) and become plain predicates.
import { FrameworkError } from './errors';

export type Pattern = string | RegExp;

export interface ActionConstraints {
  /** The payload type; only `block_actions` is delivered. */
  type?: 'block_actions';
  action_id?: Pattern;
  block_id?: Pattern;
}

export interface ViewConstraints {
  /** A bare callback_id matches `view_submission` only, as in Bolt. */
  type?: 'view_submission' | 'view_closed';
  callback_id?: Pattern;
}

export interface ShortcutConstraints {
  /** `shortcut` (global) or `message_action` (message shortcut); both when absent. */
  type?: 'shortcut' | 'message_action';
  callback_id?: Pattern;
}

export interface OptionsConstraints {
  /** The payload type; only `block_suggestion` is delivered (Bolt also names legacy dialog ones). */
  type?: 'block_suggestion';
  action_id?: Pattern;
  block_id?: Pattern;
  /** The modal's `view.callback_id` (as in Bolt); a suggestion from a message has none and does not match. */
  callback_id?: Pattern;
}

/** `undefined` pattern matches anything; a string matches exactly; a RegExp is tested. */
export function matchPattern(pattern: Pattern | undefined, value: unknown): boolean {
  if (pattern === undefined) return true;
  if (typeof value !== 'string') return false;
  if (typeof pattern === 'string') return pattern === value;
  pattern.lastIndex = 0; // a /g or /y RegExp keeps state between calls
  return pattern.test(value);
}

function isPattern(value: unknown): value is Pattern {
  return typeof value === 'string' || value instanceof RegExp;
}

/** Validates an object constraint: known keys only, patterns where patterns go, `type` from a list. */
export function checkConstraints<C extends object>(
  what: string,
  constraints: C,
  patternKeys: readonly string[],
  types: readonly string[],
): C {
  if (typeof constraints !== 'object' || constraints === null || constraints instanceof RegExp) {
    throw new FrameworkError('ERR_APP_INVALID_CONSTRAINT', `${what}: a constraint must be a string, a RegExp or an object`);
  }
  for (const [key, value] of Object.entries(constraints)) {
    if (value === undefined) continue;
    if (key === 'type' && types.length > 0) {
      if (!types.includes(value as string)) {
        throw new FrameworkError('ERR_APP_INVALID_CONSTRAINT', `${what}: type must be one of ${types.join(', ')}`);
      }
    } else if (patternKeys.includes(key)) {
      if (!isPattern(value)) throw new FrameworkError('ERR_APP_INVALID_CONSTRAINT', `${what}: ${key} must be a string or a RegExp`);
    } else {
      const known = [...patternKeys, ...(types.length > 0 ? ['type'] : [])];
      throw new FrameworkError('ERR_APP_INVALID_CONSTRAINT', `${what}: unknown constraint key ${JSON.stringify(key)} (known: ${known.join(', ')})`);
    }
  }
  return constraints;
}

/** A string / RegExp / undefined argument that must be a pattern. */
export function checkPattern(what: string, value: unknown): Pattern {
  if (!isPattern(value)) throw new FrameworkError('ERR_APP_INVALID_CONSTRAINT', `${what}: expected a string or a RegExp`);
  return value;
}
