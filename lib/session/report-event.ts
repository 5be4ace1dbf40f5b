import type { TokenAccess } from './token-access.js';
import type { RequestRetriedEvent } from './session-event.js';

/** Publishes `event` on the session's `events$` (kept until the pipeline calls `report` itself). */
export function reportEvent(session: Pick<TokenAccess, 'report'>, event: RequestRetriedEvent): void {
  session.report(event);
}
