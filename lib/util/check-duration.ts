import { MAX_TIMER_DELAY } from './max-timer-delay.js';

/** What a duration option accepts besides a number: `min` ms at least, and `false` where it means "none". */
export interface DurationRule {
  /** The shortest duration allowed, in ms. @default 0 */
  readonly min?: number;
  /** Whether `false` ("no limit") is allowed. @default false */
  readonly orFalse?: boolean;
}

/**
 * `value` when it is a delay a timer honours: a number of ms from `rule.min` to
 * {@link MAX_TIMER_DELAY} (or `false` where allowed). Otherwise a TypeError naming `what`, the
 * range, and the type or number it got (a duration option holds no secret). The one duration
 * check of the library, so every option says the same thing the same way.
 */
export function checkDuration(value: unknown, what: string, rule: DurationRule & { readonly orFalse: true }): number | false;
export function checkDuration(value: unknown, what: string, rule?: DurationRule): number;
export function checkDuration(value: unknown, what: string, rule: DurationRule = {}): number | false {
  const { min = 0, orFalse = false } = rule;
  if (orFalse && value === false) return false;
  if (typeof value === 'number' && value >= min && value <= MAX_TIMER_DELAY) return value;
  const got = typeof value === 'number' ? String(value) : typeof value;
  throw new TypeError(`${what} must be a number of ms from ${min} to ${MAX_TIMER_DELAY}${orFalse ? ', or false' : ''}; got ${got}`);
}
