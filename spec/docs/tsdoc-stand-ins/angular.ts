// What the @example blocks of lib/angular/ assume besides common.ts: Angular's names, and `http`
// as Angular's HttpClient.
import type { HttpClient } from '@angular/common/http';

export { inject, type ApplicationConfig } from '@angular/core';
export { HttpContext, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';

export declare const http: HttpClient;
export declare const query: { q: string };
/** @angular/router is not a dependency; its Router as the examples use it. */
export declare class Router {
  navigate(commands: unknown[]): Promise<boolean>;
}
