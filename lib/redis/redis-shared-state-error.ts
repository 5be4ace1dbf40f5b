/**
 * What a Redis call of `rx-token-http/redis` was doing when it failed: connecting, reading or
 * writing the shared token set, taking or waiting for the refresh lock, or decoding a stored value.
 */
export type RedisOperation = 'connect' | 'read' | 'write' | 'lock' | 'lock-wait' | 'decode';

/**
 * Redis failed or did not answer in time. The session turns it into a `TokenRefreshError` with
 * reason `'store-failed'` (this error is its `cause`): requests that need a refresh fail, requests
 * with a valid token go on, and the next refresh after Redis is back works again. Never a silent
 * refresh without the lock.
 */
export class RedisSharedStateError extends Error {
  override readonly name = 'RedisSharedStateError';
  /** What was being done. */
  readonly operation: RedisOperation;

  constructor(operation: RedisOperation, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.operation = operation;
  }
}
