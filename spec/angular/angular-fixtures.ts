// What the Angular specs share: after each test, no request left unanswered, and a fresh TestBed.
import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { afterEach } from 'vitest';

/** After each test of the describe: HttpTestingController.verify(), then TestBed reset even when it fails. */
export function verifyAndResetAfterEach(): void {
  afterEach(() => {
    try {
      TestBed.inject(HttpTestingController).verify();
    } finally {
      TestBed.resetTestingModule();
    }
  });
}
