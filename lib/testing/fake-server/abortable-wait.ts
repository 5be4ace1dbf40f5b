function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Resolves after `ms` real milliseconds; rejects with the signal's abort reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      // Cleared so an abandoned wait never keeps the process (or a test run) alive.
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

// Requests waiting in waitForAbort. undici's `Request.signal` follows the signal the request was built with
// through a WeakRef to the request's own controller, and nothing else holds a hanging request: without this
// set, garbage collection can drop the request, its signal never aborts, and the wait never ends.
const hanging = new Set<Request>();

/** Never resolves; rejects with the request's abort reason once its signal aborts (a server that never answers). */
export function waitForAbort(request: Request): Promise<never> {
  return new Promise((_, reject) => {
    if (request.signal.aborted) return reject(abortReason(request.signal));
    hanging.add(request);
    const onAbort = () => {
      hanging.delete(request);
      reject(abortReason(request.signal));
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
  });
}
