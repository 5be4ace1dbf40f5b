import { checkSessionState } from '../session/sharing/check-session-state.js';
import type { SessionState } from '../session/token-set.js';

/** What tabs tell each other over the share's `BroadcastChannel`. */
export type TabMessage =
  /** A state some tab wrote or knows; every tab keeps it when it is newer than its own. */
  | { readonly type: 'state'; readonly state: SessionState }
  /** "Who knows generation `generation` or newer?": every tab that does answers with a `state`. */
  | { readonly type: 'ask'; readonly generation: number };

/**
 * The state a message or the storage holds, through the checks every store's answers pass
 * (`checkSessionState`), or undefined: messages and storage are not trusted blindly, and a tab
 * that learned an invalid state would answer it to every read. Generation 0 is no state a tab
 * ever writes.
 */
export function tabStateOf(value: unknown): SessionState | undefined {
  const state = checkSessionState(value, Date.now());
  return typeof state === 'string' || state.generation === 0 ? undefined : state;
}
