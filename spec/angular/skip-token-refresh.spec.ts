// @vitest-environment happy-dom
// lib/angular/skip-token-refresh.ts: a request the interceptor leaves alone.
import './setup.js';
import { HttpClient, HttpContext } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { describe, expect, it } from 'vitest';
import { SKIP_TOKEN_REFRESH } from '../../lib/angular/index.js';
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
