import { firstValueFrom } from 'rxjs';
import type { Transport } from '../../lib/index.js';
import { lib } from '../lib-under-test.js';
import { outcomeOfStatus, outcomeOfThrown, type Outcome, type Peer, type PeerConfig, type PeerFactory } from './peer.js';

/**
 * Our client with its defaults: one session, `oauth2RefreshGrant`, Observables read with
 * `firstValueFrom`. The library comes from bench/lib-under-test.ts (compiled, by default).
 */
export const rxTokenHttp: PeerFactory = {
  name: 'rx-token-http',
  role: 'auth',
  create: (config) => createOurs(config),
};

/** Like {@link rxTokenHttp}, with an in-memory {@link Transport} for API calls: the pipeline alone. */
export function createOurs(config: PeerConfig, transport?: Transport): Peer {
  const { createHttpClient, createTokenSession, oauth2RefreshGrant } = lib();
  const fetchOption = config.fetch ? { fetch: config.fetch } : {};
  const session = createTokenSession({
    tokens: config.tokens,
    refresh: oauth2RefreshGrant({ tokenUrl: config.tokenUrl, ...fetchOption }),
  });
  const client = createHttpClient({ baseUrl: config.baseUrl, session, ...fetchOption, ...(transport ? { transport } : {}), ...(config.requestTimeout ? { timeout: config.requestTimeout } : {}) });
  return {
    name: rxTokenHttp.name,
    // Shaped like the other peers' `get`: no closure per call, which tsx (keepNames) would wrap in
    // a `__name` call per request, a cost the peers do not pay.
    async get(path) {
      try {
        await firstValueFrom(client.get(path));
        return OK;
      } catch (error) {
        return outcomeOfOurs(error);
      }
    },
    tokens: () => ({ accessToken: session.state.tokens?.accessToken ?? null, refreshToken: session.state.tokens?.refreshToken ?? null }),
    close: () => session.dispose(),
  };
}

const OK: Outcome = { kind: 'ok', status: 200 };

export function outcomeOfOurs(error: unknown): Outcome {
  const { HttpError, NetworkError, RequestTimeoutError, TokenRefreshError, TokenRevokedError } = lib();
  if (error instanceof TokenRevokedError) return { kind: 'revoked', detail: error.message };
  if (error instanceof TokenRefreshError) return { kind: 'refresh-failed', detail: error.message };
  if (error instanceof HttpError) return { ...outcomeOfStatus(error.status), detail: error.message };
  if (error instanceof NetworkError) return { kind: 'network', detail: error.message };
  if (error instanceof RequestTimeoutError) return { kind: 'timeout', detail: error.message };
  return outcomeOfThrown(error);
}
