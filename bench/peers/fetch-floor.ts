import { outcomeOfStatus, outcomeOfThrown, type Peer, type PeerConfig, type PeerFactory } from './peer.js';

/**
 * The floor: `fetch` with a valid token and an `AbortSignal` (a cancellable client needs one), and
 * no auth logic at all. It never refreshes, so it is
 * only used where the token stays valid (throughput, overhead).
 */
export const fetchFloor: PeerFactory = {
  name: 'fetch + AbortSignal (floor)',
  role: 'floor',
  create(config: PeerConfig): Peer {
    const send = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
    const authorization = `Bearer ${config.tokens.accessToken}`;
    return {
      name: this.name,
      async get(path) {
        try {
          // A signal, as any client that can cancel a request must pass (issue 11 measures against this).
          const controller = new AbortController();
          const response = await send(config.baseUrl + path, { headers: { authorization }, signal: controller.signal });
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
