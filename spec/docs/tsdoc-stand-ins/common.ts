// The free names the @example blocks of lib/ assume, declared once for spec/docs/tsdoc-examples.spec.ts.
// Type-checked with the examples (and by `npm run typecheck`), never run. One name means one thing
// in every example; a folder's file (angular.ts, testing.ts, redis.ts) adds what only its examples use.
import type { RefreshLock, RefreshFunction, RxHttpClient, TokenSession, TokenSet, TokenStore } from '../../../lib/index.js';

export { EMPTY, catchError, filter, map, of, switchMap, throwError } from 'rxjs';
export { ajax, AjaxError } from 'rxjs/ajax';

/** The app's session and client, as the guides make them. */
export declare const session: TokenSession;
export declare const api: RxHttpClient;
export declare const refresh: RefreshFunction;
export declare const tokens: TokenSet;
export declare const accessToken: string;
export declare const refreshToken: string;
export declare const expiresAt: number;
export declare const tokenUrl: string;
export declare const clientId: string;
export declare const userId: string;
export declare const url: string;

/** The app's code the examples call. */
export declare const router: { navigate(commands: unknown[]): Promise<boolean> };
export declare function render(value: unknown): void;
export declare function rowStore(userId: string): TokenStore;
export declare function advisoryLock(userId: string): RefreshLock;
export interface User {
  id: number;
  name: string;
}
export interface Report {
  id: number;
  rows: unknown[];
}
