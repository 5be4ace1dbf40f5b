import { map, takeUntil, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import { TokenRevokedError } from '../errors/token-revoked-error.js';

/**
 * Fails with a {@link TokenRevokedError} when `sessionEnd$` emits (the session was revoked, here
 * or in another member sharing its store), and unsubscribes from the source: a request in flight
 * stops at once, mid-flight too, instead of finishing on a dead session (rule 6). `sessionEnd$`
 * is `TokenAccess.revoked$`, which emits at once for a session revoked already.
 */
export function stopWhenSessionEnds<T>(sessionEnd$: Observable<void>): MonoTypeOperatorFunction<T> {
  return takeUntil(
    sessionEnd$.pipe(
      map(() => {
        throw new TokenRevokedError();
      }),
    ),
  );
}
