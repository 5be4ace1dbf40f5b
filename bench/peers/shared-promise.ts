import { outcomeOfStatus, outcomeOfThrown, refreshForm, tokensFromAnswer, type Peer, type PeerConfig, type PeerFactory } from './peer.js';

/**
 * The one-shared-promise pattern found in most hand-written clients: a module-level refresh
 * promise that concurrent 401s share, cleared in `finally`, then one retry with the new token.
 * (One closure per client here, so that each benchmark case starts fresh; in an app it is a
 * module variable.) It stores both rotated tokens.
 */
export const sharedPromise: PeerFactory = {
  name: 'shared promise',
  role: 'auth',
  create(config: PeerConfig): Peer {
    const send = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
    let accessToken: string | null = config.tokens.accessToken;
    let refreshToken: string | null = config.tokens.refreshToken;
    let refreshing: Promise<void> | null = null;

    async function doRefresh(): Promise<void> {
      if (refreshToken === null) throw new Error('signed out');
      const presented = refreshToken;
      const response = await send(config.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: refreshForm(presented),
      });
      const body: unknown = await response.json().catch(() => null);
      try {
        ({ accessToken, refreshToken } = tokensFromAnswer(response.status, body, presented));
      } catch (error) {
        // The usual "log the user out" on a failed refresh.
        if ((error as { revoked?: boolean }).revoked) accessToken = refreshToken = null;
        throw error;
      }
    }

    function refresh(): Promise<void> {
      refreshing ??= doRefresh().finally(() => {
        refreshing = null;
      });
      return refreshing;
    }

    async function call(path: string): Promise<Response> {
      const headers: Record<string, string> = accessToken === null ? {} : { authorization: `Bearer ${accessToken}` };
      return send(config.baseUrl + path, { headers });
    }

    return {
      name: this.name,
      async get(path) {
        try {
          let response = await call(path);
          if (response.status === 401) {
            await response.body?.cancel();
            await refresh();
            response = await call(path);
          }
          await response.json();
          return outcomeOfStatus(response.status);
        } catch (error) {
          return outcomeOfThrown(error);
        }
      },
      tokens: () => ({ accessToken, refreshToken }),
      close: () => undefined,
    };
  },
};
