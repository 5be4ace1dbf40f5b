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
  let cancelled = false;
  let stealing = false;
  let granted = false;
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const controller = new AbortController();

  const onGranted = (): Promise<void> => {
    // The plain request may be granted just as we steal (and then lose it to our own steal): the
    // first grant runs the task, and either grant keeps the lock until it ends.
    if (granted) return held;
    granted = true;
    clearInterval(watch);
    if (cancelled) return Promise.resolve();
    void handlers.granted().then(release, release);
    return held;
  };
  const onSettled = (error: unknown): void => {
    if (cancelled) return;
    if (granted) handlers.stolen?.();
    else handlers.failed(error);
  };

  // Our own abort (to steal) rejects the plain request: that is not a failure.
  locks.request(name, { mode: 'exclusive', signal: controller.signal }, onGranted).catch((error: unknown) => stealing || onSettled(error));

  // The holder we have seen, and since when (by our clock; a throttled background tab only steals later).
  let holder: string | undefined;
  let since = 0;
  const period = Math.max(10, Math.min(500, Math.floor(holdLimit / 4)));
  const watch = setInterval(() => {
    void locks.query().then((snapshot) => {
      if (granted || cancelled || stealing) return;
      const now = Date.now();
      const current = snapshot.held?.find((info) => info.name === name)?.clientId ?? undefined;
      if (current !== holder) {
        holder = current;
        since = now;
      } else if (current !== undefined && now - since >= holdLimit) {
        stealing = true;
        clearInterval(watch);
        controller.abort();
        // `steal` cannot be combined with a signal; a cancel after this releases at once instead.
        locks.request(name, { mode: 'exclusive', steal: true }, onGranted).catch(onSettled);
      }
    }, () => undefined);
  }, period);

  return () => {
    if (cancelled) return;
    cancelled = true;
    clearInterval(watch);
    if (!granted && !stealing) controller.abort();
    release();
  };
}
