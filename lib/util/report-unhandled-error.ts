import { throwError } from 'rxjs';

/**
 * Reports an error that has nowhere to go (an app callback threw while the library was handling
 * another error) exactly the way RxJS reports an error it cannot deliver: to
 * `config.onUnhandledError` when the app set one, otherwise thrown asynchronously, on RxJS's
 * timeout provider (so on virtual time inside `TestScheduler.run`). Never swallowed, and never in
 * place of the error being handled.
 */
export function reportUnhandledError(error: unknown): void {
  // An error with no error callback takes RxJS's own path: defaultErrorHandler -> reportUnhandledError.
  throwError(() => error).subscribe();
}
