// lib/session/token-store.ts: the contract of a store and a lock, and the key by which a `Share`
// connects a session (CONNECT_SESSION).
import { NEVER, of } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import { shareStore } from '../../lib/session/sharing/share-store.js';
import { CONNECT_SESSION, type RefreshLock, type TokenStore } from '../../lib/session/token-store.js';

const tokens = { accessToken: 'a0', refreshToken: 'r0' };
const refresh = () => NEVER;
const store = (): TokenStore => ({ read: () => of(null), write: (next) => of(next) });
const lock: RefreshLock = { run: (task) => task() };

describe('CONNECT_SESSION', () => {
  it('is the same key in every copy of the package, so a share made by one copy connects a session of another', async () => {
    vi.resetModules();
    const copy = await import('../../lib/session/token-store.js');
    const copiedShare = await import('../../lib/session/sharing/share-in-memory.js');
    expect(copy.CONNECT_SESSION).toBe(CONNECT_SESSION);

    // `rx-token-http/tabs` or `/redis` bundled apart from the root entry: the session still shares.
    const share = copiedShare.shareInMemory();
    const a = createTokenSession({ tokens, refresh, share });
    const b = createTokenSession({ refresh, share });
    expect(b.state.tokens).toEqual(tokens);
    a.dispose();
    b.dispose();
  });

  it('keeps the connector out of an app\'s way: a share shows its store and lock, nothing else', () => {
    const share = shareStore(store(), lock);
    expect(Object.keys(share)).toEqual(['store', 'lock']);
    expect(JSON.parse(JSON.stringify({ ...share, store: 'store', lock: 'lock' }))).toEqual({ store: 'store', lock: 'lock' });
    expect(typeof share[CONNECT_SESSION]).toBe('function');
  });

  it('connects only through the key: a look-alike without it is refused, its store never read', () => {
    const shared = store();
    const read = vi.spyOn(shared, 'read');
    const lookAlike = { store: shared, lock } as unknown as ReturnType<typeof shareStore>;
    expect(() => createTokenSession({ tokens, refresh, share: lookAlike })).toThrow(/`share` must come from shareStore\(\)/);
    expect(read).not.toHaveBeenCalled();
  });
});
