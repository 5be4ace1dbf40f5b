// lib/tabs/generation-locks.ts: each tab holds a Web Lock named after the newest generation it knows,
// so the next holder of the refresh lock knows which state exists; in real Chromium tabs.
import { describe, expect, it } from 'vitest';
import { call, skipBrowserSpecs } from './helpers/chromium.js';
import { raceHandovers } from './helpers/handover-race.js';
import { name, state, tabs, useChromiumTabs } from './tab-fixtures.js';

describe.skipIf(skipBrowserSpecs)('generation locks (in Chromium)', { timeout: 60_000 }, () => {
  useChromiumTabs();

  it('tell any tab the newest generation some tab holds, 0 when none', async () => {
    const [a, b, c] = await tabs(3);
    const prefix = `gen-${name}:`;
    expect(await call(c!, 'newestGeneration', prefix)).toBe(0);
    await call(a!, 'holdGeneration', prefix, 3);
    await call(b!, 'holdGeneration', prefix, 5);
    expect(await call(c!, 'newestGeneration', prefix)).toBe(5);
    await call(b!, 'releaseGeneration');
    await expect.poll(() => call(c!, 'newestGeneration', prefix)).toBe(3);
    await call(a!, 'releaseGeneration');
    await expect.poll(() => call(c!, 'newestGeneration', prefix)).toBe(0);
  });

  it('let go of the older generation only once the newer one is held, so a tab always holds one', async () => {
    const [a, b] = await tabs(2);
    const prefix = `gen-${name}:`;
    await call(a!, 'holdGeneration', prefix, 1);
    await call(a!, 'holdGeneration', prefix, 2);
    expect(await call(b!, 'newestGeneration', prefix)).toBe(2);
    await expect.poll(async () => (await call(a!, 'heldLocks')).filter((lock) => lock.startsWith(prefix))).toEqual([`${prefix}2`]);
  });

  it('count only the locks of their prefix whose rest is a generation number', async () => {
    const [a, b] = await tabs(2);
    const prefix = `gen-${name}:`;
    await call(a!, 'holdOtherLock', `${prefix}9x`);
    await call(a!, 'holdOtherLock', `other-${name}:7`);
    await call(a!, 'holdGeneration', prefix, 2);
    expect(await call(b!, 'newestGeneration', prefix)).toBe(2);
  });

describe('at the lock handover', () => {
  // Under the lock each round reads, "calls the token endpoint" (0-5 ms), writes generation + 1,
  // and releases; the next holder must read that write. A store that trusted the order of
  // BroadcastChannel messages (or localStorage) against the lock release reads a stale copy here.
  it('never lets the next holder read an older generation than the last write (300 handovers, busy tabs)', async () => {
    const pages = await tabs(5);
    await call(pages[0]!, 'write', state(1), 0);
    const race = await raceHandovers(pages, 60);
    // Every step read the generation written by the step before it: the 300 writes form one chain.
    expect(race.staleReads).toBe(0);
    expect(race.written).toEqual(Array.from({ length: 300 }, (_, i) => i + 2));
  });
});
});
