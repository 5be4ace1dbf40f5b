/**
 * What went wrong with a DPoP key:
 * - `lost`: the key store holds no key where one was expected (a cleared site, another browser
 *   profile); the tokens bound to the lost key cannot be used or refreshed any more;
 * - `unreadable`: the key store holds something that is not a usable key pair;
 * - `unavailable`: there is no key store here (no IndexedDB), or it failed.
 *
 * A key the app passes that is of no usable kind is not this error but a TypeError, thrown
 * where the key is given.
 */
export type DpopKeyFailure = 'lost' | 'unreadable' | 'unavailable';

/**
 * A DPoP key could not be had. Its message names the key store and the key's id, never key
 * material; `cause` keeps the platform's own error (an IndexedDB or WebCrypto `DOMException`).
 */
export class DpopKeyError extends Error {
  override readonly name = 'DpopKeyError';
  /** Why; see {@link DpopKeyFailure}. */
  readonly reason: DpopKeyFailure;

  constructor(reason: DpopKeyFailure, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
