// Bundled by esbuild into the test page (see tab-servers.ts): the library plus a small harness that the
// specs drive with page.evaluate. Runs in Chromium, never in node.
import { defer, firstValueFrom, from, lastValueFrom, timer, type Subscription } from 'rxjs';
import { createHttpClient, createTokenSession, oauth2RefreshGrant, type SessionEvent, type TokenSession, type TokenSet } from '../../../lib/index.js';
import { shareAcrossTabs, type ShareAcrossTabsConfig, type RefreshLock, type Share } from '../../../lib/tabs/index.js';
import { createGenerationLocks, type GenerationLocks } from '../../../lib/tabs/generation-locks.js';
import type { SessionState } from '../../../lib/index.js';
import { shareNaively } from './naive-tab-store.js';

/** How a page starts its session: `share: false` gives it its own, unshared session. */
export interface StartOptions {
  readonly authUrl: string;
  readonly tokens?: TokenSet | null;
  readonly share?: Omit<ShareAcrossTabsConfig, 'name'> & { readonly name: string };
  readonly storeTimeout?: number;
  readonly refreshDeadline?: number;
  readonly refreshAhead?: boolean;
  readonly skew?: number;
  /** The API client's request timeout. @default 15000 */
  readonly requestTimeout?: number;
}

/** One request's outcome, made of plain data for page.evaluate. */
export interface Outcome {
  readonly ok: boolean;
  readonly error?: string;
}

type StampedEvent = SessionEvent & { readonly at: number };

const harness = {
  session: undefined as TokenSession | undefined,
  api: undefined as ReturnType<typeof createHttpClient> | undefined,
  events: [] as StampedEvent[],
  inFlight: new Set<Subscription>(),

  start(options: StartOptions): void {
    const share = options.share ? { share: shareAcrossTabs(options.share) } : {};
    const session = createTokenSession({
      tokens: options.tokens ?? null,
      refresh: oauth2RefreshGrant({ tokenUrl: `${options.authUrl}/oauth/token` }),
      ...share,
      ...(options.storeTimeout !== undefined ? { storeTimeout: options.storeTimeout } : {}),
      ...(options.refreshDeadline !== undefined ? { refreshDeadline: options.refreshDeadline } : {}),
      ...(options.refreshAhead !== undefined ? { refreshAhead: options.refreshAhead } : {}),
      ...(options.skew !== undefined ? { skew: options.skew } : {}),
    });
    session.events$.subscribe((event) => harness.events.push({ ...event, ...('error' in event ? { error: describe(event.error) } : {}), at: Date.now() } as StampedEvent));
    harness.session = session;
    harness.api = createHttpClient({ baseUrl: `${options.authUrl}/api`, session, retry: false, timeout: options.requestTimeout ?? 15_000 });
  },

  /** Fires `count` GETs at once (after `delay` ms and a busy main thread of `busy` ms) and waits for all. */
  async burst(count: number, options: { delay?: number; busy?: number; path?: string } = {}): Promise<Outcome[]> {
    if (options.delay) await new Promise((resolve) => setTimeout(resolve, options.delay));
    const api = harness.api!;
    const all = Array.from({ length: count }, (_, i) =>
      firstValueFrom(api.get(`${options.path ?? '/item'}/${i}`)).then(
        (): Outcome => ({ ok: true }),
        (error: unknown): Outcome => ({ ok: false, error: describe(error) }),
      ),
    );
    if (options.busy) harness.busy(options.busy);
    return Promise.all(all);
  },

  /** Starts `count` slow GETs and keeps them running; `settled` counts how they ended. */
  startSlow(count: number, delayMs: number): void {
    for (let i = 0; i < count; i++) {
      const subscription = harness.api!.get(`/slow/${i}?delay=${delayMs}`).subscribe({
        next: () => harness.settled.push('ok'),
        error: (error: unknown) => harness.settled.push(describe(error)),
      });
      harness.inFlight.add(subscription);
    }
  },
  settled: [] as string[],
  stopSlow(): void {
    for (const subscription of harness.inFlight) subscription.unsubscribe();
    harness.inFlight.clear();
  },

  setTokens(tokens: TokenSet): void {
    harness.session!.setTokens(tokens);
  },
  signOut(): void {
    harness.session!.signOut();
  },
  /** Everything this origin keeps at rest, as text, to look for tokens in. */
  async atRest(): Promise<string> {
    const databases = (await indexedDB.databases()).map((db) => db.name ?? '');
    const dump = (storage: Storage) => Array.from({ length: storage.length }, (_, i) => `${storage.key(i)}=${storage.getItem(storage.key(i)!)}`);
    return JSON.stringify({ local: dump(localStorage), session: dump(sessionStorage), indexedDB: databases, cookies: document.cookie });
  },

  refresh(): Promise<Outcome> {
    return lastValueFrom(harness.session!.refresh$).then(
      () => ({ ok: true }),
      (error: unknown) => ({ ok: false, error: describe(error) }),
    );
  },

  state(): { generation: number; revoked: boolean; accessToken: string | null; refreshToken: string | null } {
    const state = harness.session!.state;
    return { generation: state.generation, revoked: state.revoked, accessToken: state.tokens?.accessToken ?? null, refreshToken: state.tokens?.refreshToken ?? null };
  },

  /** Keeps the main thread busy, as a heavy page does. */
  busy(ms: number): void {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // spin
    }
  },

  // The store and lock alone, driven directly against their contract.
  seams: undefined as (Share & { readonly lock: RefreshLock }) | undefined,
  seen: [] as number[],
  open(config: ShareAcrossTabsConfig & { readonly naive?: boolean }): void {
    harness.seams = config.naive ? shareNaively(config.name) : shareAcrossTabs(config);
    harness.seams.store.changes$?.subscribe((state) => harness.seen.push(state.generation));
  },
  read(): Promise<SessionState | null> {
    return firstValueFrom(from(harness.seams!.store.read()));
  },
  write(next: SessionState, expected: number): Promise<SessionState> {
    return firstValueFrom(from(harness.seams!.store.write(next, expected)));
  },
  /** Under the lock: reads, waits `holdMs` (a token call), writes the next generation; says what it saw. */
  async lockedStep(options: { holdMs: number; busyMs?: number; delay?: number; tag: string }): Promise<{ read: number; wrote: number; start: number; end: number }> {
    if (options.delay) await new Promise((resolve) => setTimeout(resolve, options.delay));
    if (options.busyMs) harness.busy(options.busyMs);
    const { store, lock } = harness.seams!;
    return firstValueFrom(
      lock.run(() =>
        defer(async () => {
          const start = Date.now();
          const read = await firstValueFrom(from(store.read()));
          const generation = read?.generation ?? 0;
          await firstValueFrom(timer(options.holdMs));
          const next: SessionState = { tokens: { accessToken: `${options.tag}-${generation + 1}` }, generation: generation + 1, revoked: false, receivedAt: Date.now(), change: 'refresh' };
          const stored = await firstValueFrom(from(store.write(next, generation)));
          // `wrote` is the generation written, or minus the generation that refused the write.
          const accepted = stored.generation === next.generation && stored.tokens?.accessToken === next.tokens?.accessToken;
          return { read: generation, wrote: accepted ? next.generation : -stored.generation, start, end: Date.now() };
        }),
      ),
    );
  },
  /** Takes the lock and keeps the main thread blocked for `busyMs` while holding it; resolves with when it got it. */
  holdAndBlock(busyMs: number): Promise<number> {
    return new Promise((resolve) => {
      harness.seams!.lock.run(() =>
        defer(async () => {
          const at = Date.now();
          resolve(at);
          await new Promise((wake) => setTimeout(wake, 0));
          harness.busy(busyMs);
          return at;
        }),
      ).subscribe();
    });
  },
  /** Takes the lock and never lets go (until the page closes). */
  holdForever(): Promise<void> {
    return new Promise((resolve) => {
      harness.seams!.lock.run(() => defer(() => (resolve(), new Promise<never>(() => {})))).subscribe();
    });
  },
  /** Waits for the lock; resolves with when it was granted. */
  acquireAt(): Promise<number> {
    return firstValueFrom(harness.seams!.lock.run(() => defer(async () => Date.now())));
  },
  closeSeams(): void {
    harness.seams?.store.dispose?.();
    harness.seams?.lock.dispose?.();
    harness.seams = undefined;
  },

  // The generation locks alone (lib/tabs/generation-locks.ts), on the prefix `prefix`.
  generations: undefined as GenerationLocks | undefined,
  holdGeneration(prefix: string, generation: number): Promise<void> {
    harness.generations ??= createGenerationLocks(navigator.locks, prefix);
    return harness.generations.hold(generation);
  },
  newestGeneration(prefix: string): Promise<number> {
    return createGenerationLocks(navigator.locks, prefix).newest();
  },
  releaseGeneration(): void {
    harness.generations?.release();
  },
  /** The names of the Web Locks this origin holds now. */
  async heldLocks(): Promise<string[]> {
    return ((await navigator.locks.query()).held ?? []).map((info) => info.name ?? '');
  },
  /** Holds a Web Lock of any name, shared, until the page closes. */
  holdOtherLock(name: string): Promise<void> {
    return new Promise((resolve) => void navigator.locks.request(name, { mode: 'shared' }, () => (resolve(), new Promise<never>(() => {}))));
  },

  /** Counts `setTimeout` callbacks every 100 ms, to see whether the page's timers run (frozen: no). */
  ticks: 0,
  startTicking(): void {
    setInterval(() => harness.ticks++, 100);
  },
  visibility(): string {
    return document.visibilityState;
  },
  /** Starts a burst and keeps its outcomes in `outcomes` when it ends. */
  startBurst(count: number): void {
    harness.outcomes = undefined;
    void harness.burst(count).then((outcomes) => (harness.outcomes = outcomes));
  },
  outcomes: undefined as Outcome[] | undefined,
  /** The types of the session's events so far, in order. */
  eventTypes(): string[] {
    return harness.events.map((event) => event.type);
  },

  dispose(): void {
    harness.stopSlow();
    harness.session?.dispose();
    harness.session = undefined;
  },
};

function describe(error: unknown): string {
  if (error instanceof Error) {
    const extra = error as Error & { code?: string; reason?: string; status?: number };
    return [error.name, extra.code, extra.reason, extra.status, error.message].filter((part) => part !== undefined).join(' ');
  }
  return String(error);
}

(globalThis as { tabs?: typeof harness }).tabs = harness;
(globalThis as { rxTokenHttp?: unknown }).rxTokenHttp = { shareAcrossTabs, createTokenSession, createHttpClient, oauth2RefreshGrant, firstValueFrom, lastValueFrom };

export type PageHarness = typeof harness;
