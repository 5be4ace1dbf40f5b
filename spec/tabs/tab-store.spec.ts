// lib/tabs/tab-store.ts: the tabs' store against its contract, in real Chromium tabs (its reads
// after a lock handover: generation-locks.spec.ts).
import { describe, expect, it } from 'vitest';
import { call, POLL, skipBrowserSpecs } from './helpers/chromium.js';
import { name, state, tabs, useChromiumTabs } from './tab-fixtures.js';

// The store and lock of rx-token-http/tabs against their contract (lib/session/token-store.ts), in
// real Chromium tabs: each page is a renderer process of its own, as tabs are.
describe.skipIf(skipBrowserSpecs)('shareAcrossTabs (store and lock, in Chromium)', { timeout: 60_000 }, () => {
  useChromiumTabs();

  describe('store', () => {
    it('reads null before anything was written', async () => {
      const [a] = await tabs(1);
      expect(await call(a!, 'read')).toBeNull();
    });

    it('lets another tab read what one tab wrote, at once (it asks the tab that has it)', async () => {
      const [a, b] = await tabs(2);
      expect(await call(a!, 'write', state(1), 0)).toEqual(state(1));
      expect(await call(b!, 'read')).toEqual(state(1));
    });

    it('refuses a write whose expected generation is not the shared one, and answers with the shared state', async () => {
      const [a, b] = await tabs(2);
      await call(a!, 'write', state(1), 0);
      await call(a!, 'write', state(2), 1);
      expect(await call(b!, 'write', state(2, 'stale'), 1)).toEqual(state(2));
      expect(await call(b!, 'write', state(1, 'stale'), 0)).toEqual(state(2));
      expect(await call(a!, 'read')).toEqual(state(2));
    });

    it('accepts exactly one of five concurrent writes from five tabs with the same expected generation', async () => {
      const pages = await tabs(5);
      await call(pages[0]!, 'write', state(1), 0);
      const answers = await Promise.all(pages.map((page, i) => call(page, 'write', state(2, `tab${i}`), 1)));
      const winner = answers[0]!;
      expect(answers.every((answer) => answer.generation === 2 && answer.tokens?.accessToken === winner.tokens?.accessToken)).toBe(true);
      const reads = await Promise.all(pages.map((page) => call(page, 'read')));
      expect(reads.every((read) => read?.tokens?.accessToken === winner.tokens?.accessToken)).toBe(true);
    });

    it('tells every other tab of a write on changes$', async () => {
      const pages = await tabs(3);
      await call(pages[0]!, 'write', state(1), 0);
      await call(pages[0]!, 'write', state(2), 1);
      await expect.poll(() => Promise.all(pages.slice(1).map((page) => page.evaluate(() => (globalThis as unknown as { tabs: { seen: number[] } }).tabs.seen))), POLL).toEqual([
        [1, 2],
        [1, 2],
      ]);
      expect(await pages[0]!.evaluate(() => (globalThis as unknown as { tabs: { seen: number[] } }).tabs.seen)).toEqual([]);
    });

    it('does not learn a state message whose tokens fail the checks of a token response', async () => {
      const pages = await tabs(2);
      await call(pages[0]!, 'write', state(1), 0);
      await expect.poll(() => pages[1]!.evaluate(() => (globalThis as unknown as { tabs: { seen: number[] } }).tabs.seen), POLL).toEqual([1]);
      // Any script of the origin can post on the channel: a newer generation whose access token is a number.
      await pages[1]!.evaluate((channel) => {
        const tampered = { type: 'state', state: { tokens: { accessToken: 42, refreshToken: 'r2' }, generation: 2, revoked: false, receivedAt: 1, change: 'refresh' } };
        const sender = new BroadcastChannel(channel);
        sender.postMessage(tampered);
        sender.close();
      }, `rx-token-http:contract-${name}`);
      // A valid write after it is heard, so the tampered one had its chance to arrive first.
      await call(pages[0]!, 'write', state(2), 1);
      await expect.poll(() => pages[1]!.evaluate(() => (globalThis as unknown as { tabs: { seen: number[] } }).tabs.seen), POLL).toEqual([1, 2]);
      for (const page of pages) expect(await call(page, 'read')).toEqual(state(2));
    });

    it('starts a tab opened later from the open tabs, and forgets the state when every tab that knew it closed', async () => {
      const [a] = await tabs(1);
      await call(a!, 'write', state(1), 0);
      const [b] = await tabs(1, { name: `contract-${name}` });
      expect(await call(b!, 'read')).toEqual(state(1));
      await a!.close();
      await b!.close();
      const [c] = await tabs(1, { name: `contract-${name}` });
      expect(await call(c!, 'read')).toBeNull();
    });

    it('keeps two names on one origin apart', async () => {
      const [a] = await tabs(1, { name: 'app-one' });
      const [b] = await tabs(1, { name: 'app-two' });
      await call(a!, 'write', state(1), 0);
      expect(await call(b!, 'read')).toBeNull();
    });
  });
});
