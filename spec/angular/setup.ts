// Imported first by every Angular spec. Angular's packages are partially compiled: `@Injectable`
// classes need the JIT compiler at run time. Under `ng test` the builder does all of this.
import '@angular/compiler';
import { getTestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { asyncScheduler, type SchedulerLike } from 'rxjs';

getTestBed().initTestEnvironment(BrowserTestingModule, platformBrowserTesting());

/** Real timers, but a clock the test can move forward, as if the user came back later. */
export function manualClock(): SchedulerLike & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    schedule: asyncScheduler.schedule.bind(asyncScheduler),
    advance: (ms) => {
      offset += ms;
    },
  };
}
