import { firstValueFrom, lastValueFrom, type Observable } from 'rxjs';

/** How one request ended: its value, or the error's class name. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown; name: string };

/** Subscribes and resolves with the outcome; never rejects. */
export function outcome(request$: Observable<unknown>): Promise<Outcome> {
  return firstValueFrom(request$).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error, name: error instanceof Error ? error.name : typeof error }),
  );
}

/** Outcomes of many requests, started together. */
export function outcomes(requests: readonly Observable<unknown>[]): Promise<Outcome[]> {
  return Promise.all(requests.map(outcome));
}

/** The error the observable fails with; throws when it completes instead. */
export async function errorOf(source: Observable<unknown>): Promise<unknown> {
  try {
    await lastValueFrom(source);
  } catch (error) {
    return error;
  }
  throw new Error('expected an error notification, the observable completed');
}
