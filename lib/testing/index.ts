/* Virtual-time backend for marble tests of code that uses the client */
export { createTestBackend } from './test-backend.js';
export type { TestBackend, TestRequest, TestResponse, RequestMatch } from './test-backend.js';

/* A fake OAuth2 authorization server (rotation, reuse detection) and its msw handlers */
export { createFakeAuthorizationServer, FakeNetworkFault } from './fake-authorization-server.js';
export type {
  FakeApiHandler,
  FakeAuthorizationServer,
  FakeAuthorizationServerConfig,
  FakeAuthorizationServerStats,
  FakeFaultOptions,
  FakeRevocationFault,
  FakeTokenFault,
  FakeUser,
  IssuedTokens,
} from './fake-authorization-server.js';
export { createOAuth2Handlers } from './oauth2-handlers.js';
export type { OAuth2HandlersConfig, MswHttp, MswResolver } from './oauth2-handlers.js';
