// lib/tabs/share-across-tabs.ts in Chromium tabs: the fallback where Web Locks are missing. The store
// and lock themselves are proven in tab-store.spec.ts and tab-lock.spec.ts.
import type { BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { call, skipBrowserSpecs } from './helpers/chromium.js';
import { browser, servers, state, useChromiumTabs } from './tab-fixtures.js';

describe.skipIf(skipBrowserSpecs)('shareAcrossTabs (store and lock, in Chromium)', { timeout: 60_000 }, () => {
  useChromiumTabs();
  // A context of its own, not tab-fixtures' one: the tests here open and assign it themselves.
  let context: BrowserContext | undefined;

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  describe('where Web Locks are missing', () => {
    it('warns once and gives each tab a store and lock of its own', async () => {
      context = await browser.newContext();
      await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
      const warnings: string[] = [];
      const [a, b] = await Promise.all([context.newPage(), context.newPage()]);
      a!.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
      await Promise.all([a!.goto(servers.appUrl), b!.goto(servers.appUrl)]);
      await call(a!, 'open', { name: 'fallback' });
      await call(a!, 'open', { name: 'fallback' });
      await call(b!, 'open', { name: 'fallback' });
      expect(await call(a!, 'write', state(1), 0)).toEqual(state(1));
      expect(await call(a!, 'read')).toEqual(state(1));
      expect(await call(b!, 'read')).toBeNull();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/no Web Locks or BroadcastChannel.*each session refreshes on its own/);
    });
  });
});
