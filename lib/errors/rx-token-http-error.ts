import { BaseError } from './base-error.js';
import type { HttpError, NetworkError, RequestTimeoutError } from './request-error.js';
import type { TokenRefreshError } from './token-refresh-error.js';
import type { TokenRevokedError } from './token-revoked-error.js';

/**
 * Every error this library emits. Messages name the method and URL of the request, never a
 * token. As a type, the union: `switch (error.code)` narrows it to the class, so `error.status`
 * is there in the `HTTP_STATUS` case. As a value, their base class: `instanceof RxTokenHttpError`
 * narrows an `unknown` to the union.
 *
 * @example
 * catchError((error: unknown) => {
 *   if (!(error instanceof RxTokenHttpError)) return throwError(() => error);
 *   switch (error.code) {
 *     case 'HTTP_STATUS': return error.status === 404 ? of(null) : throwError(() => error);
 *     case 'TOKEN_REVOKED': return router.navigate(['/sign-in']).then(() => EMPTY);
 *     default: return throwError(() => error);
 *   }
 * })
 */
export type RxTokenHttpError = HttpError | NetworkError | RequestTimeoutError | TokenRefreshError | TokenRevokedError;
// The one cast: the base class seen as a constructor of the union, so that `instanceof` narrows to it.
export const RxTokenHttpError = BaseError as abstract new (...args: never[]) => RxTokenHttpError;
