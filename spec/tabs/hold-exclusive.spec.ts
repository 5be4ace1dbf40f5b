// lib/tabs/hold-exclusive.ts: the refresh lock's Web Lock, which no stuck tab keeps past
// holdLimit while another waits, in real Chromium tabs.
import { describe, expect, it } from 'vitest';
import { call, skipBrowserSpecs } from './helpers/chromium.js';
import { context, tabs, useChromiumTabs } from './tab-fixtures.js';

describe.skipIf(skipBrowserSpecs)('holdExclusive (the tabs\' lock, in Chromium)', { timeout: 60_000 }, () => {
  useChromiumTabs();

  it('is taken from a tab whose main thread stays blocked past holdLimit', async () => {
    const [a, b] = await tabs(2, { holdLimit: 300 });
    const heldAt = await call(a!, 'holdAndBlock', 4_000);
    const acquiredAt = await call(b!, 'acquireAt');
    // b got the lock while a was still blocked (a's clock and b's are the machine's one clock).
    expect(acquiredAt).toBeLessThan(heldAt + 4_000);
  });

  it('is taken from a tab the browser froze while holding it', async () => {
    const [a, b] = await tabs(2, { holdLimit: 300 });
    await call(a!, 'holdForever');
    const cdp = await context!.newCDPSession(a!);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    try {
      expect(typeof (await call(b!, 'acquireAt'))).toBe('number');
    } finally {
      await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    }
  });
});
