// What the @example blocks of lib/testing/ assume besides common.ts: msw's names, its server, and
// the fake authorization server.
import type { SetupServerApi } from 'msw/node';
import type { FakeAuthorizationServer } from '../../../lib/testing/index.js';

export { http, HttpResponse } from 'msw';
export { setupServer } from 'msw/node';

export declare const server: SetupServerApi;
export declare const fake: FakeAuthorizationServer;
