/* Providers */
export { provideTokenRefresh } from './provide-token-refresh.js';
export type { TokenRefreshConfig, TokenRefreshCommonConfig } from './provide-token-refresh.js';
export { TOKEN_SESSION } from './token-session-token.js';

/* Interceptor */
export { tokenRefreshInterceptor } from './token-refresh-interceptor.js';
export { SKIP_TOKEN_REFRESH, TRANSIENT_RETRY } from './request-context.js';

/* Signals */
export { injectSessionStatus } from './session-status.js';
export type { SessionStatus } from './session-status.js';
