import { outcomeOfStatus, outcomeOfThrown, type Peer, type PeerConfig, type PeerFactory } from './peer.js';

/**
 * The floor: `fetch` with a valid token and no auth logic at all. It never refreshes, so it is
 * only used where the token stays valid (throughput, overhead).
 */
export const fetchFloor: PeerFactory = {
  name: 'fetch (floor)',
  role: 'floor',
  create(config: PeerConfig): Peer {
    const send = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
    const authorization = `Bearer ${config.tokens.accessToken}`;
    return {
      name: this.name,
      async get(path) {
        try {
          const response = await send(config.baseUrl + path, { headers: { authorization } });
          await response.json();
          return outcomeOfStatus(response.status);
        } catch (error) {
          return outcomeOfThrown(error);
        }
      },
      tokens: () => ({ accessToken: config.tokens.accessToken, refreshToken: config.tokens.refreshToken }),
      close: () => undefined,
    };
  },
};
