/** Whom an accepted access token belongs to, as the protected API sees it. */
export interface FakeUser {
  /** The `sub` claim: the subject given to `signIn(subject)`, e.g. `'user-1'`. */
  readonly subject: string;
  /** The token family (one sign-in and every token rotated from it), e.g. `'family-1'`. */
  readonly familyId: string;
  /** When the presented access token expires, in epoch milliseconds (by the server's `now`). */
  readonly expiresAt: number;
}

/**
 * Your own API behind the fake's token check: called for every API request whose Bearer token the fake
 * accepts, after the `apiDelay`. Return a `Response` to answer with it, any other value to answer 200 with
 * it as JSON, or `undefined` to let the built-in routes answer (`forbidden`, `status/<code>`, the echo).
 * The request's body is yours to read.
 */
export type FakeApiHandler = (request: Request, user: FakeUser) => unknown;
