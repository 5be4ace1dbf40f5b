// lib/util/report-unhandled-error.ts: an error with nowhere to go takes RxJS's own path.
import { config as rxConfig } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { reportUnhandledError } from '../../lib/util/report-unhandled-error.js';

describe('reportUnhandledError', () => {
  const previous = rxConfig.onUnhandledError;
  afterEach(() => {
    rxConfig.onUnhandledError = previous;
  });

  it("hands the error to RxJS's config.onUnhandledError when the app set one, after the current call", async () => {
    const reported: unknown[] = [];
    rxConfig.onUnhandledError = (error) => reported.push(error);
    const error = new Error('onRetry threw');

    reportUnhandledError(error);
    expect(reported).toEqual([]); // never in place of the error being handled: later
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(reported).toEqual([error]);
  });

  it('throws it asynchronously on RxJS\'s timeout provider otherwise: on virtual time inside TestScheduler.run', () => {
    rxConfig.onUnhandledError = null;
    const error = new Error('callback threw');
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

    expect(() =>
      scheduler.run(() => {
        expect(() => reportUnhandledError(error)).not.toThrow();
      }),
    ).toThrow(error);
  });
});
