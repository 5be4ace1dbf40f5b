/*
 * What users write, and nothing more (issue 22: at most 45 names). Types that only describe a
 * part of another exported type (a request option's value, an event's payload, an error's
 * constructor options) are reached through it: `RequestOptions['params']`,
 * `Extract<SessionEvent, { type: 'request-retried' }>`, `TokenRefreshError['reason']`.
 */

/* Client */
export { createHttpClient } from './client/create-http-client.js';
export type { HttpClientConfig } from './client/client-config.js';
export type { RxHttpClient } from './client/rx-http-client.js';
export type { RequestInterceptor } from './client/client-config.js';
export type { RequestOptions } from './client/request-options.js';

/* Transport */
export type { ApiRequest, ApiResponse } from './transport/api-request.js';
export type { Transport } from './transport/transport.js';
export { fetchTransport } from './transport/fetch-transport.js';

/* Session */
export { createTokenSession } from './session/create-token-session.js';
export type { TokenSession } from './session/create-token-session.js';
export type { TokenSessionConfig, RefreshFunction, RevokeFunction } from './session/session-config.js';
export type { TokenAccess } from './session/token-access.js';
export { shareInMemory } from './session/sharing/share-in-memory.js';
export { shareStore } from './session/sharing/share-store.js';
export type { TokenSet, SessionState } from './session/token-set.js';
export type { SessionEvent } from './session/session-event.js';
export type { TokenStore, RefreshLock, Share } from './session/token-store.js';
export { oauth2RefreshGrant } from './oauth2/oauth2-refresh-grant.js';
export type { OAuth2RefreshGrantConfig } from './oauth2/oauth2-refresh-grant.js';
export { oauth2Revocation } from './oauth2/oauth2-revocation.js';
export type { OAuth2RevocationConfig } from './oauth2/oauth2-revocation.js';
export { clientSecretBasic, clientSecretPost } from './oauth2/client-secret.js';
export { privateKeyJwt } from './oauth2/private-key-jwt.js';
export { oauth2ClientCredentialsGrant } from './oauth2/oauth2-client-credentials-grant.js';

/* Operators */
export { authorize } from './auth/authorize.js';
export { isTokenRejection } from './auth/authorize.js';
export { retryBackoff } from './retry/retry-backoff.js';
export type { RetryBackoffConfig } from './retry/retry-backoff.js';
export type { RetryOption } from './retry/retry-backoff-config.js';
export { isTransientError } from './retry/is-transient-error.js';

/* Errors */
export { RxTokenHttpError } from './errors/rx-token-http-error.js';
export type { ErrorCode } from './errors/base-error.js';
export { RequestError } from './errors/request-error.js';
export { HttpError } from './errors/request-error.js';
export { NetworkError } from './errors/request-error.js';
export { RequestTimeoutError } from './errors/request-error.js';
export { TokenRefreshError } from './errors/token-refresh-error.js';
export { TokenRevokedError } from './errors/token-revoked-error.js';
