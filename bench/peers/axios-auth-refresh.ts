import axios, { type AxiosError, type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import { createAuthRefresh } from 'axios-auth-refresh';
import { outcomeOfStatus, outcomeOfThrown, refreshForm, tokensFromAnswer, type Peer, type PeerConfig, type PeerFactory } from './peer.js';

/**
 * axios with axios-auth-refresh 5, set up as its README recommends: a request interceptor that
 * reads the current token on every call ("wrap your request logic in a function"), and
 * `createAuthRefresh(instance, refreshAuthLogic)` with the default options (`statusCodes: [401]`,
 * `deduplicateRefresh: true`). The refresh call goes through a plain axios instance without the
 * interceptor, as the README's `axios.post(...)` does, and stores both rotated tokens.
 */
export const axiosAuthRefresh: PeerFactory = {
  name: 'axios + axios-auth-refresh',
  role: 'auth',
  create(config: PeerConfig): Peer {
    // Over the network: axios's Node default (the http adapter). Without it: its fetch adapter
    // with the fake fetch (axios >= 1.12 `env.fetch`).
    const transport: CreateAxiosDefaults = config.fetch ? { adapter: 'fetch', env: { fetch: config.fetch } } : {};
    const api: AxiosInstance = axios.create({ ...transport, baseURL: config.baseUrl });
    const tokenClient: AxiosInstance = axios.create(transport);
    let accessToken: string | null = config.tokens.accessToken;
    let refreshToken: string | null = config.tokens.refreshToken;

    api.interceptors.request.use((request) => {
      if (accessToken !== null) request.headers['Authorization'] = `Bearer ${accessToken}`;
      return request;
    });

    const refreshAuthLogic = async (failedRequest: AxiosError): Promise<void> => {
      if (refreshToken === null) throw new Error('signed out');
      const presented = refreshToken;
      const response = await tokenClient.post(config.tokenUrl, refreshForm(presented), { validateStatus: () => true });
      try {
        ({ accessToken, refreshToken } = tokensFromAnswer(response.status, response.data, presented));
      } catch (error) {
        if ((error as { revoked?: boolean }).revoked) accessToken = refreshToken = null;
        throw error;
      }
      if (failedRequest.response) failedRequest.response.config.headers['Authorization'] = `Bearer ${accessToken}`;
    };
    // axios-auth-refresh's typings resolve axios's CommonJS declarations; the instance is the same.
    createAuthRefresh(api as unknown as Parameters<typeof createAuthRefresh>[0], refreshAuthLogic);

    return {
      name: this.name,
      async get(path) {
        try {
          const response = await api.get(path);
          return outcomeOfStatus(response.status);
        } catch (error) {
          if (axios.isAxiosError(error)) {
            if (error.response) return outcomeOfStatus(error.response.status);
            if (axios.isCancel(error)) return { kind: 'canceled', detail: error.message };
            return { kind: error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT' ? 'timeout' : 'network', detail: error.code ?? error.message };
          }
          return outcomeOfThrown(error);
        }
      },
      tokens: () => ({ accessToken, refreshToken }),
      close: () => undefined,
    };
  },
};
