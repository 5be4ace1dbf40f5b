import { HttpError } from '../errors/request-error.js';
import { parseHttpDate } from './http-date.js';

/**
 * The wait an error's `Retry-After` header asks for, in ms from `now`, as RFC 9110 §10.2.3
 * defines it: a non-negative integer of seconds, or an HTTP-date (see {@link parseHttpDate}).
 * `undefined` when the error is no {@link HttpError}, the header is absent, or its value is
 * anything else (`"1.5"`, `"-1"`, `"+5"`, `"1 2"`, `""`): the computed backoff applies then.
 * A date in the past gives 0.
 */
export function retryAfterDelay(error: unknown, now: number): number | undefined {
  if (!(error instanceof HttpError)) return undefined;
  const value = error.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = parseHttpDate(value, now);
  return date === undefined ? undefined : Math.max(0, date - now);
}
