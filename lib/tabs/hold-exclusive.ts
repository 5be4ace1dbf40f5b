/** What {@link holdExclusive} calls: once with the lock held, or once with why it could not be had. */
export interface ExclusiveHandlers {
  /** The lock is held until the returned promise settles. */
  granted(): Promise<void>;
  /** The request failed for another reason than our own cancel (e.g. a `SecurityError`). */
  failed(error: unknown): void;
  /** Another tab stole the lock from us (it judged us stuck); what we run goes on, fenced by the store. */
  stolen?(): void;
}

/**
 * Requests the Web Lock `name` exclusively, with a bound on how long any one holder may keep
 * others waiting. A blocked main thread keeps its Web Lock, and so may a frozen tab; so while
 * we wait we watch the holder (`navigator.locks.query()`, by its `clientId`), and when one holder
 * has held the lock for `holdLimit` ms as far as we have seen, we take it with `steal: true`.
 * Whatever the stuck holder still does is fenced by the store's generation.
 *
 * Returns a function that gives up the wait, or the lock when held.
 */
export function holdExclusive(locks: LockManager, name: string, holdLimit: number, handlers: ExclusiveHandlers): () => void {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const hold: Hold = { locks, name, handlers, held, release, controller: new AbortController(), cancelled: false, stealing: false, granted: false };
  // Our own abort (to steal) rejects the plain request: that is not a failure.
  locks.request(name, { mode: 'exclusive', signal: hold.controller.signal }, () => onGranted(hold)).catch((error: unknown) => hold.stealing || onSettled(hold, error));
  hold.watch = watchHolder(hold, holdLimit);
  return () => {
    if (hold.cancelled) return;
    hold.cancelled = true;
    clearInterval(hold.watch);
    if (!hold.granted && !hold.stealing) hold.controller.abort();
    hold.release();
  };
}

/** One {@link holdExclusive} call: the state its steps share. */
interface Hold {
  readonly locks: LockManager;
  readonly name: string;
  readonly handlers: ExclusiveHandlers;
  /** Settles when the task ends or the hold is cancelled; the lock is held until then. */
  readonly held: Promise<void>;
  readonly release: () => void;
  /** Aborts the plain request, to steal or to cancel. */
  readonly controller: AbortController;
  cancelled: boolean;
  stealing: boolean;
  granted: boolean;
  watch?: ReturnType<typeof setInterval>;
}

/** Either request's grant: the first one runs the task; either keeps the lock until the task ends. */
function onGranted(hold: Hold): Promise<void> {
  // The plain request may be granted just as we steal (and then lose it to our own steal).
  if (hold.granted) return hold.held;
  hold.granted = true;
  clearInterval(hold.watch);
  if (hold.cancelled) return Promise.resolve();
  void hold.handlers.granted().then(hold.release, hold.release);
  return hold.held;
}

/** A request ended without our cancel: before the grant it failed, after it the lock was stolen from us. */
function onSettled(hold: Hold, error: unknown): void {
  if (hold.cancelled) return;
  if (hold.granted) hold.handlers.stolen?.();
  else hold.handlers.failed(error);
}

/**
 * Watches who holds the lock while we wait, and since when (by our clock: a throttled background
 * tab only steals later); once one holder has kept it `holdLimit` ms, steals it.
 */
function watchHolder(hold: Hold, holdLimit: number): ReturnType<typeof setInterval> {
  let holder: string | undefined;
  let since = 0;
  const period = Math.max(10, Math.min(500, Math.floor(holdLimit / 4)));
  return setInterval(() => {
    void hold.locks.query().then((snapshot) => {
      if (hold.granted || hold.cancelled || hold.stealing) return;
      const now = Date.now();
      const current = snapshot.held?.find((info) => info.name === hold.name)?.clientId ?? undefined;
      if (current !== holder) {
        holder = current;
        since = now;
      } else if (current !== undefined && now - since >= holdLimit) steal(hold);
    }, () => undefined);
  }, period);
}

/** Takes the lock from a stuck holder: abort our plain request and ask again with `steal: true`. */
function steal(hold: Hold): void {
  hold.stealing = true;
  clearInterval(hold.watch);
  hold.controller.abort();
  // `steal` cannot be combined with a signal; a cancel after this releases at once instead.
  hold.locks.request(hold.name, { mode: 'exclusive', steal: true }, () => onGranted(hold)).catch((error: unknown) => onSettled(hold, error));
}
