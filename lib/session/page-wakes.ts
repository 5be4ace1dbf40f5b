import { NEVER, filter, fromEvent, merge, type Observable } from 'rxjs';

/*
 * When a page comes back to life: it becomes visible again, resumes from frozen (Page Lifecycle
 * `resume`), is restored from the back/forward cache (`pageshow`), or its network is back
 * (`online`: a refresh-ahead that gave up offline is due again). Its timers may have slept
 * meanwhile (a frozen page runs none, a hidden one has them throttled): refresh-ahead re-checks
 * the token against the clock at once instead of waiting for them, and leaves the backoff of a
 * failed attempt alone until the clock says it has passed (refresh-ahead.ts).
 */

/** What this file needs of `document`: to listen, and to say whether the page is visible. */
interface PageDocument {
  readonly visibilityState?: string;
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

/**
 * Emits each time the page comes back; listens only while subscribed (unsubscribing, as
 * `dispose()` does, removes every listener). Runtimes without `document` (Node, workers, Deno)
 * hear nothing: `NEVER`.
 */
export function pageWakes(): Observable<unknown> {
  const doc = (globalThis as { document?: PageDocument }).document;
  if (typeof doc?.addEventListener !== 'function') return NEVER;
  // `pageshow` and `online` go to the window, the global object of a page.
  const page = globalThis as unknown as Partial<PageDocument>;
  const restored$ = typeof page.addEventListener === 'function' ? merge(fromEvent(page as PageDocument, 'pageshow'), fromEvent(page as PageDocument, 'online')) : NEVER;
  return merge(fromEvent(doc, 'visibilitychange').pipe(filter(() => doc.visibilityState === 'visible')), fromEvent(doc, 'resume'), restored$);
}
