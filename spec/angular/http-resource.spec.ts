// @vitest-environment happy-dom
// Angular's resource API (httpResource, Angular 19.2+) reads through HttpClient, so through
// tokenRefreshInterceptor: a burst of resources after expiry makes one token call, and an ended
// session puts the typed error into each resource's error state. On Angular 17 and 18 (CI runs
// the Angular specs there too) httpResource does not exist and this describe does not run.
import './setup.js';
import * as angularHttp from '@angular/common/http';
import { ApplicationRef, type Signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { setupServer } from 'msw/node';
import { describe, expect, it } from 'vitest';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { API, fetchAppOnFakeServer, useMswWithTestBed } from './angular-fixtures.js';

const msw = setupServer();

interface Echo {
  readonly ok: boolean;
  readonly path: string;
}
interface ResourceLike {
  value: Signal<Echo | undefined>;
  error: Signal<unknown>;
  status: Signal<string>;
}
// `httpResource` where Angular has it (19.2+), read through the namespace so that older majors load this file.
const httpResource = (angularHttp as unknown as { httpResource?: (url: () => string) => ResourceLike }).httpResource;

function setup() {
  return fetchAppOnFakeServer(msw, { fake: { tokenDelay: 20 }, tokenRefresh: { retry: false } }).fake;
}

/** Six resources, as a dashboard's widgets would declare them, settled. */
async function sixResources(): Promise<ResourceLike[]> {
  const paths = ['orders', 'invoices', 'me', 'alerts', 'reports', 'team'];
  const resources = paths.map((path) => TestBed.runInInjectionContext(() => httpResource!(() => `${API}/api/${path}`)));
  await TestBed.inject(ApplicationRef).whenStable(); // a resource's request is a pending task
  return resources;
}

describe.runIf(httpResource !== undefined)('httpResource through tokenRefreshInterceptor', () => {
  useMswWithTestBed(msw);

  it('loads six resources after the token expired with one token call', async () => {
    const fake = setup();
    fake.expireAccessTokens();

    const resources = await sixResources();

    expect(resources.map((resource) => resource.status())).toEqual(Array(6).fill('resolved'));
    expect(resources.map((resource) => resource.value()?.path)).toEqual(['/api/orders', '/api/invoices', '/api/me', '/api/alerts', '/api/reports', '/api/team']);
    expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0, apiUnauthorized: 6 });
  });

  it("puts TokenRevokedError into every resource's error state when the session ended", async () => {
    const fake = setup();
    fake.revokeAll();

    const resources = await sixResources();

    expect(resources.map((resource) => resource.status())).toEqual(Array(6).fill('error'));
    for (const resource of resources) expect(resource.error()).toBeInstanceOf(TokenRevokedError);
    expect(fake.stats).toMatchObject({ tokenRequests: 1 });
  });
});
