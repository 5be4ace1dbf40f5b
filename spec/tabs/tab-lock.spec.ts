// lib/tabs/tab-lock.ts: the tabs' lock, in real Chromium tabs.
import { describe, expect, it } from 'vitest';
import { call, skipBrowserSpecs } from './helpers/chromium.js';
import { state, tabs, useChromiumTabs } from './tab-fixtures.js';

// The store and lock of rx-token-http/tabs against their contract (lib/session/token-store.ts), in
// real Chromium tabs: each page is a renderer process of its own, as tabs are.
describe.skipIf(skipBrowserSpecs)('shareAcrossTabs (store and lock, in Chromium)', { timeout: 60_000 }, () => {
  useChromiumTabs();

  describe('lock', () => {
    it('runs one task at a time across tabs', async () => {
      const pages = await tabs(4);
      await call(pages[0]!, 'write', state(1), 0);
      const results = await Promise.all(pages.flatMap((page, i) => [0, 1, 2].map(() => call(page, 'lockedStep', { holdMs: 3, tag: `t${i}` }))));
      const spans = results.map((r) => [r.start, r.end] as const).sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    });

    it('is released when the tab holding it closes', async () => {
      const [a, b] = await tabs(2);
      await call(a!, 'holdForever');
      const waiting = call(b!, 'acquireAt');
      await a!.close();
      expect(typeof (await waiting)).toBe('number');
    });
  });
});
