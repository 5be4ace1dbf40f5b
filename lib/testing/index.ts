/* Virtual-time transport for marble tests of code that uses the client */
export { createTestTransport } from './test-transport.js';
export type { TestTransport, TestRequest, TestResponse, RequestMatch } from './test-transport.js';

/* A fake OAuth2 authorization server (rotation, reuse detection) and its msw handlers */
export { createFakeAuthorizationServer, FakeNetworkFault } from './fake-authorization-server.js';
export type {
  FakeApiHandler,
  FakeAuthorizationServer,
  FakeAuthorizationServerConfig,
  FakeAuthorizationServerStats,
  FakeDpopConfig,
  FakeFaultOptions,
  FakeRevocationFault,
  FakeTokenFault,
  FakeUser,
  IssuedTokens,
  SignInOptions,
} from './fake-authorization-server.js';
export { createOAuth2Handlers } from './oauth2-handlers.js';
export type { OAuth2HandlersConfig, MswHttp, MswResolver } from './oauth2-handlers.js';
