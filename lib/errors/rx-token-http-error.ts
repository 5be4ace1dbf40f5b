import type { HttpError } from './http-error.js';
import type { NetworkError } from './network-error.js';
import type { RequestTimeoutError } from './request-timeout-error.js';
import type { TokenRefreshError } from './token-refresh-error.js';
import type { TokenRevokedError } from './token-revoked-error.js';

/**
 * Every error this library emits, as a union: `switch (error.code)` narrows it to the class, so
 * `error.status` is there in the `HTTP_STATUS` case.
 *
 * @example
 * catchError((error: RxTokenHttpError) => {
 *   switch (error.code) {
 *     case 'HTTP_STATUS': return error.status === 404 ? of(null) : throwError(() => error);
 *     case 'TOKEN_REVOKED': return router.navigate(['/sign-in']).then(() => EMPTY);
 *     default: return throwError(() => error);
 *   }
 * })
 */
export type RxTokenHttpError = HttpError | NetworkError | RequestTimeoutError | TokenRefreshError | TokenRevokedError;

