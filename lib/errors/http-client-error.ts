/** The stable `code` of every error this library emits, for `switch` statements. */
export type ErrorCode = 'HTTP_STATUS' | 'NETWORK' | 'TIMEOUT' | 'REFRESH_FAILED' | 'TOKEN_REVOKED';

/**
 * Base class of every error this library emits. Narrow with `instanceof`, or switch on `code`
 * of an {@link RxTokenHttpError}. Messages name the method and URL of the request, never a token.
 */
export abstract class HttpClientError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ErrorCode;
}
