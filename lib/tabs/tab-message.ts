import type { SessionState } from '../session/token-set.js';

/** What tabs tell each other over the share's `BroadcastChannel`. */
export type TabMessage =
  /** A state some tab wrote or knows; every tab keeps it when it is newer than its own. */
  | { readonly type: 'state'; readonly state: SessionState }
  /** "Who knows generation `generation` or newer?": every tab that does answers with a `state`. */
  | { readonly type: 'ask'; readonly generation: number };

/** True for a value shaped like a {@link SessionState} (messages and storage are not trusted blindly). */
export function isSessionState(value: unknown): value is SessionState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(state['generation']) &&
    (state['generation'] as number) > 0 &&
    typeof state['revoked'] === 'boolean' &&
    typeof state['receivedAt'] === 'number' &&
    typeof state['change'] === 'string' &&
    (state['tokens'] === null || (typeof state['tokens'] === 'object' && state['tokens'] !== undefined))
  );
}
