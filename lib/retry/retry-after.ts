import { HttpError } from '../errors/http-error.js';

/**
 * The wait an error's `Retry-After` header asks for, in ms from `now`: delta-seconds or an
 * HTTP date (RFC 9110 §10.2.3). `undefined` when the error is no {@link HttpError} or the header
 * is absent or unreadable; a date in the past gives 0.
 */
export function retryAfterDelay(error: unknown, now: number): number | undefined {
  if (!(error instanceof HttpError)) return undefined;
  const value = error.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
