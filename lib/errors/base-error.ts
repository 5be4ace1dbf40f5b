/** The stable `code` of every error this library emits, for `switch` statements. */
export type ErrorCode = 'HTTP_STATUS' | 'NETWORK' | 'TIMEOUT' | 'REFRESH_FAILED' | 'TOKEN_REVOKED';

/** The class every error of the library extends; users see it as `RxTokenHttpError`. */
export abstract class BaseError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ErrorCode;
}
