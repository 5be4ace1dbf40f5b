import { createNaiveClient } from '../../scripts/naive-client.js';
import { outcomeOfStatus, outcomeOfThrown, type Peer, type PeerConfig, type PeerFactory } from './peer.js';

/**
 * The naive client of `scripts/naive-client.ts` (every 401 refreshes on its own). Not one of
 * the peers: it shows what the stampede scenarios do to a client without coordination.
 */
export const naive: PeerFactory = {
  name: 'naive (per-request refresh)',
  role: 'auth',
  create(config: PeerConfig): Peer {
    const client = createNaiveClient({
      baseUrl: config.baseUrl,
      tokenUrl: config.tokenUrl,
      tokens: { accessToken: config.tokens.accessToken, refreshToken: config.tokens.refreshToken },
      ...(config.fetch ? { fetch: config.fetch } : {}),
    });
    return {
      name: this.name,
      async get(path) {
        try {
          const response = await client.get(path);
          if (response.status === 401 && response.refreshed) {
            // It refreshed and still got 401: the refresh itself failed (spent or revoked token).
            const error = (response.body as { error?: string } | null)?.error;
            return { kind: 'unauthorized', status: 401, detail: `after refresh (${error ?? 'no error code'})` };
          }
          return outcomeOfStatus(response.status);
        } catch (error) {
          return outcomeOfThrown(error);
        }
      },
      tokens: () => client.tokens,
      close: () => undefined,
    };
  },
};
