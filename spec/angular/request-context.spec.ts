// @vitest-environment happy-dom
// lib/angular/request-context.ts: what one request sets in its HttpContext: SKIP_TOKEN_REFRESH (the
// interceptor leaves it alone) and TRANSIENT_RETRY (its own retries of transient errors).
import './setup.js';
import { HttpClient, HttpContext } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { describe, expect, it } from 'vitest';
import { SKIP_TOKEN_REFRESH, TRANSIENT_RETRY } from '../../lib/angular/index.js';
import type { RetryOption } from '../../lib/retry/retry-backoff-config.js';
import { API, record, setup, UNAUTHORIZED, verifyAndResetAfterEach } from './angular-fixtures.js';

describe('SKIP_TOKEN_REFRESH', () => {
  verifyAndResetAfterEach();

  describe('when a request to an allowed origin sets it', () => {
    it('leaves a request with SKIP_TOKEN_REFRESH alone', () => {
      const { httpTesting, refresh } = setup();

      const context = new HttpContext().set(SKIP_TOKEN_REFRESH, true);
      const open = record(TestBed.inject(HttpClient).get(`${API}/status`, { context }));
      const req = httpTesting.expectOne(`${API}/status`);
      req.flush(null, UNAUTHORIZED);

      expect(req.request.headers.has('Authorization')).toBe(false);
      expect(open.error).toMatchObject({ status: 401 });
      expect(refresh).not.toHaveBeenCalled();
    });
  });
});

describe('TRANSIENT_RETRY', () => {
  verifyAndResetAfterEach();

  describe('when a request sets it', () => {
    it('does not retry a POST unless it opts in', () => {
      const { httpTesting, backoff } = setup();
      const client = TestBed.inject(HttpClient);
      const unavailable = { status: 503, statusText: 'Service Unavailable' };

      const plain = record(client.post(`${API}/orders`, { item: 1 }));
      httpTesting.expectOne(`${API}/orders`).flush(null, unavailable);
      backoff.flush();
      httpTesting.expectNone(`${API}/orders`);

      const optedIn = record(client.post(`${API}/orders`, { item: 2 }, { context: new HttpContext().set(TRANSIENT_RETRY, 1) }));
      httpTesting.expectOne(`${API}/orders`).flush(null, unavailable);
      backoff.flush();
      httpTesting.expectOne(`${API}/orders`).flush({ id: 2 });

      const keyed = record(client.post(`${API}/orders`, { item: 3 }, { headers: { 'Idempotency-Key': 'k3' } }));
      httpTesting.expectOne(`${API}/orders`).flush(null, unavailable);
      backoff.flush();
      httpTesting.expectOne(`${API}/orders`).flush({ id: 3 });

      expect(plain.error).toMatchObject({ status: 503 });
      expect(optedIn.values).toEqual([{ id: 2 }]);
      expect(keyed.values).toEqual([{ id: 3 }]);
    });

    it('does not retry a GET that sets TRANSIENT_RETRY to false', () => {
      const { httpTesting, backoff } = setup();

      const orders = record(TestBed.inject(HttpClient).get(`${API}/orders`, { context: new HttpContext().set(TRANSIENT_RETRY, false) }));
      httpTesting.expectOne(`${API}/orders`).flush(null, { status: 503, statusText: 'Service Unavailable' });
      backoff.flush();

      httpTesting.expectNone(`${API}/orders`);
      expect(orders.error).toMatchObject({ status: 503 });
    });

    it('fails a request whose TRANSIENT_RETRY is no RetryOption before sending it (it used to mean the default count)', () => {
      const { httpTesting } = setup();
      const client = TestBed.inject(HttpClient);
      const withRetry = (value: unknown) => record(client.get(`${API}/orders`, { context: new HttpContext().set(TRANSIENT_RETRY, value as RetryOption) }));

      const word = withRetry('three');
      const half = withRetry(1.5);
      const typo = withRetry({ retries: 3 });

      httpTesting.expectNone(`${API}/orders`);
      expect(word.error).toEqual(new TypeError('TRANSIENT_RETRY must be false, a number of retries or a RetryBackoffConfig object; got string'));
      expect(half.error).toEqual(new RangeError('TRANSIENT_RETRY must be a whole number of retries >= 0 (or Infinity); got 1.5'));
      expect(typo.error).toBeInstanceOf(TypeError);
      expect((typo.error as Error).message).toMatch(/^TRANSIENT_RETRY has no option `retries`/);
    });
  });
});
