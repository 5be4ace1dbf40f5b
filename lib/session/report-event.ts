import type { SessionEvent } from './session-event.js';

// Lets the HTTP client publish `request-retried` on the session's `events$` without putting an
// `emit` method on the public TokenSession interface.
const reporters = new WeakMap<object, (event: SessionEvent) => void>();

/** Registers the function that publishes events of `session` (called by createTokenSession). */
export function registerReporter(session: object, report: (event: SessionEvent) => void): void {
  reporters.set(session, report);
}

/** Publishes `event` on the session's `events$`; does nothing for a foreign session object. */
export function reportEvent(session: object, event: SessionEvent): void {
  reporters.get(session)?.(event);
}
