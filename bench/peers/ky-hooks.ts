import ky, { HTTPError, type KyInstance } from 'ky';
import { outcomeOfStatus, outcomeOfThrown, refreshForm, tokensFromAnswer, type Peer, type PeerConfig, type PeerFactory } from './peer.js';

/**
 * ky 1.x with the hooks its readme shows for tokens: `beforeRequest` sets the token on the first
 * try, and an `afterResponse` hook that, on a 401 with `state.retryCount === 0`, waits for a
 * refresh and returns `ky.retry({ request, code: 'TOKEN_REFRESHED' })` with the new token. The
 * refresh is one shared promise cleared in `finally` (the readme's example refreshes per 401,
 * which with rotation would revoke the session: see the naive client). `delay: 0`, since the
 * readme's default retry delay (300 ms) would only measure ky's backoff. Both rotated tokens are
 * stored.
 */
export const kyHooks: PeerFactory = {
  name: 'ky afterResponse',
  role: 'auth',
  create(config: PeerConfig): Peer {
    const transport = config.fetch ? { fetch: config.fetch } : {};
    let accessToken: string | null = config.tokens.accessToken;
    let refreshToken: string | null = config.tokens.refreshToken;
    let refreshing: Promise<void> | null = null;
    const tokenClient = ky.create({ ...transport, retry: 0, throwHttpErrors: false });

    async function doRefresh(): Promise<void> {
      if (refreshToken === null) throw new Error('signed out');
      const presented = refreshToken;
      const response = await tokenClient.post(config.tokenUrl, { body: refreshForm(presented) });
      const body: unknown = await response.json().catch(() => null);
      try {
        ({ accessToken, refreshToken } = tokensFromAnswer(response.status, body, presented));
      } catch (error) {
        if ((error as { revoked?: boolean }).revoked) accessToken = refreshToken = null;
        throw error;
      }
    }

    const api: KyInstance = ky.create({
      ...transport,
      prefixUrl: config.baseUrl,
      hooks: {
        beforeRequest: [
          (request, _options, { retryCount }) => {
            if (retryCount === 0 && accessToken !== null) request.headers.set('Authorization', `Bearer ${accessToken}`);
          },
        ],
        afterResponse: [
          async (request, _options, response, state) => {
            if (response.status !== 401 || state.retryCount !== 0) return;
            refreshing ??= doRefresh().finally(() => {
              refreshing = null;
            });
            await refreshing;
            const headers = new Headers(request.headers);
            headers.set('Authorization', `Bearer ${accessToken}`);
            return ky.retry({ request: new Request(request, { headers }), code: 'TOKEN_REFRESHED', delay: 0 });
          },
        ],
      },
    });

    return {
      name: this.name,
      async get(path) {
        try {
          await api.get(path.replace(/^\/+/, '')).json();
          return { kind: 'ok', status: 200 };
        } catch (error) {
          if (error instanceof HTTPError) return outcomeOfStatus(error.response.status);
          return outcomeOfThrown(error);
        }
      },
      tokens: () => ({ accessToken, refreshToken }),
      close: () => undefined,
    };
  },
};
