import { TokenRefreshError } from '../errors/token-refresh-error.js';
import type { CurrentToken } from '../session/token-access.js';
import { redactUrl } from '../util/redact-url.js';

/**
 * What one request remembers of the sign-in whose token it sent first (DESIGN rule 18): a later
 * attempt (after a refresh, a backoff, a late 401) with a token of another sign-in, or with none
 * after a sign-out, is refused. A request that has not sent a token yet takes whatever is current.
 * A sign-in the session does not know (a state stored by an older version) is never refused.
 */
export class SignInPin {
  readonly #method: string | undefined;
  readonly #url: string | undefined;
  #sent = false;
  #signIn: string | undefined;

  /** `method` and `url` name the request in the error, when known. */
  constructor(method?: string, url?: string) {
    this.#method = method;
    this.#url = url;
  }

  /** `undefined` when `current` may be sent (its sign-in is pinned at the first token), else the error to end the request with. */
  refusal(current: CurrentToken): TokenRefreshError | undefined {
    if (!this.#sent) {
      if (current.accessToken === null) return undefined;
      this.#sent = true;
      this.#signIn = current.signIn;
      return undefined;
    }
    const pinned = this.#signIn;
    if (pinned === undefined || current.signIn === undefined || current.signIn === pinned) return undefined;
    return signInChanged(this.#method, this.#url);
  }
}

function signInChanged(method: string | undefined, url: string | undefined): TokenRefreshError {
  const request = method === undefined || url === undefined ? 'The request' : `${method} ${redactUrl(url)}`;
  return new TokenRefreshError(`${request} was not sent again: the user signed in or out while it waited`, { reason: 'sign-in-changed' });
}
