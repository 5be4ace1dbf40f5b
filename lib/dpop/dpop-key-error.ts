/**
 * What went wrong with a DPoP key:
 * - `lost`: the key store holds no key where one was expected (a cleared site, another browser
 *   profile); the tokens bound to the lost key cannot be used or refreshed any more;
 * - `unreadable`: the key store holds something that is not a usable key pair;
 * - `unavailable`: there is no key store here (no IndexedDB), or it failed;
 * - `mismatch`: the key is not the one the session's tokens are bound to (their `keyThumbprint`,
 *   shared by every member, rule 15): nothing was sent, the session goes on; see `thumbprints`.
 *
 * A key the app passes that is of no usable kind is not this error but a TypeError, thrown
 * where the key is given.
 */
export type DpopKeyFailure = 'lost' | 'unreadable' | 'unavailable' | 'mismatch';

/**
 * A DPoP key could not be had, or is not the one the tokens are bound to. Its message names the
 * key store and the key's id, or both thumbprints, never key material; `cause` keeps the platform's own error (an IndexedDB or WebCrypto `DOMException`).
 */
export class DpopKeyError extends Error {
  override readonly name = 'DpopKeyError';
  /** Why; see {@link DpopKeyFailure}. */
  readonly reason: DpopKeyFailure;

  /**
   * With `mismatch`: the RFC 7638 thumbprints of this member's key and of the key the tokens are
   * bound to. A thumbprint is public (the token's `cnf.jkt`), not key material.
   */
  readonly thumbprints?: { readonly key: string; readonly tokens: string };

  constructor(reason: DpopKeyFailure, message: string, options?: { readonly cause?: unknown; readonly thumbprints?: { readonly key: string; readonly tokens: string } }) {
    super(message, options);
    this.reason = reason;
    this.thumbprints = options?.thumbprints;
  }
}
