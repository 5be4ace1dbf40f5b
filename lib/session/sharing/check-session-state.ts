import { normalizeTokenSet, type SessionState, type StateChange } from '../token-set.js';

const CHANGES: readonly unknown[] = ['sign-in', 'sign-out', 'refresh', 'revoked'] satisfies readonly StateChange[];

/**
 * Checks a state that comes from a store (a read, a write's answer, a change notice, another
 * tab's message): a store is shared, so what it holds may have been written by anyone. Returns
 * a copy holding only the fields a session knows (unknown ones are dropped), its tokens through
 * the same checks as a token response, or a description of the first problem, which names the
 * field and never quotes a token.
 */
export function checkSessionState(value: unknown, now: number): SessionState | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `a session state must be an object, got ${describe(value)}`;
  const { tokens, generation, revoked, receivedAt, change, signIn } = value as Record<string, unknown>;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0) {
    return `generation must be a whole number from 0 to 2^53 - 1, got ${describe(generation)}`;
  }
  if (typeof revoked !== 'boolean') return `revoked must be a boolean, got ${describe(revoked)}`;
  if (typeof receivedAt !== 'number' || !Number.isFinite(receivedAt)) return `receivedAt must be a finite number of epoch ms, got ${describe(receivedAt)}`;
  if (!CHANGES.includes(change)) return `change must be one of ${CHANGES.join(', ')}, got ${describe(change)}`;
  if (signIn !== undefined && (typeof signIn !== 'string' || signIn === '')) return `signIn must be a non-empty string when present, got ${describe(signIn)}`;
  const checked = tokens === null ? null : normalizeTokenSet(tokens, now);
  if (typeof checked === 'string') return `tokens: ${checked}`;
  // `signIn` (the sign-in a state belongs to) is carried as it came.
  const state: SessionState & { readonly signIn?: string } = { tokens: checked, generation, revoked, receivedAt, change: change as StateChange, ...(signIn === undefined ? {} : { signIn }) };
  return state;
}

// Numbers and booleans are shown (they are no secret); strings never are: a token may sit in a wrong field.
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
