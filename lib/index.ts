/* Client */
export { createHttpClient } from './client/create-http-client.js';
export type { HttpClientConfig } from './client/create-http-client.js';
export type { HttpClient } from './client/http-client.js';
export type { HttpRequest, HttpResponse, ResponseType, RetryOption } from './client/http-request.js';
export type { HttpInterceptor, HttpHandler } from './client/http-interceptor.js';
export type { RequestOptions, BodyOptions, ResponseOptions, ParamValue } from './client/request-options.js';
export { fetchBackend } from './transport/fetch-backend.js';
export type { HttpBackend } from './transport/http-backend.js';

/* Session */
export { createTokenSession } from './session/create-token-session.js';
export type { TokenSession, TokenSessionConfig, CurrentToken } from './session/create-token-session.js';
export type { TokenSet, SessionState } from './session/token-set.js';
export type { SessionEvent } from './session/session-event.js';
export type { TokenStore, RefreshLock } from './session/token-store.js';
export { oauth2RefreshGrant } from './auth/oauth2-refresh-grant.js';
export type { OAuth2RefreshGrantConfig } from './auth/oauth2-refresh-grant.js';

/* Operators */
export { authorize } from './auth/authorize.js';
export type { AuthorizeConfig } from './auth/authorize.js';
export { isTokenRejection } from './auth/is-token-rejection.js';
export { retryBackoff } from './retry/retry-backoff.js';
export type { RetryBackoffConfig } from './retry/retry-backoff.js';
export { isTransientError } from './retry/is-transient-error.js';

/* Errors */
export { HttpClientError } from './errors/http-client-error.js';
export type { ErrorCode } from './errors/http-client-error.js';
export { HttpError } from './errors/http-error.js';
export type { HttpErrorInit } from './errors/http-error.js';
export { NetworkError } from './errors/network-error.js';
export { RequestTimeoutError } from './errors/request-timeout-error.js';
export { TokenRefreshError } from './errors/token-refresh-error.js';
export type { TokenRefreshErrorInit } from './errors/token-refresh-error.js';
export { TokenRevokedError } from './errors/token-revoked-error.js';
