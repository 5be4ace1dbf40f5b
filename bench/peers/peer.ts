/**
 * The one interface every client in the benchmarks is driven through, so each scenario loops
 * over clients instead of knowing them. Adapters never throw from `get`: every ending of a
 * request becomes an {@link Outcome}.
 */

/** How one request ended, from the caller's point of view. */
export type OutcomeKind =
  | 'ok'
  /** An HTTP 401 reached the caller (the client gave up on refreshing, or never tried). */
  | 'unauthorized'
  /** The refresh token was rejected (`invalid_grant`): the session is over. */
  | 'revoked'
  /** The refresh failed for another reason (network, 5xx, malformed answer). */
  | 'refresh-failed'
  /** The request was dropped by the client (axios-auth-refresh cancels its queue on a failed refresh). */
  | 'canceled'
  | 'network'
  | 'timeout'
  /** Any other HTTP status. */
  | 'http-error'
  | 'other';

export interface Outcome {
  readonly kind: OutcomeKind;
  readonly status?: number;
  /** A short description for failures, never a token. */
  readonly detail?: string;
}

export const OK: Outcome = { kind: 'ok', status: 200 };

/** The tokens a client holds now (`null` fields when it holds none). */
export interface HeldTokens {
  readonly accessToken: string | null;
  readonly refreshToken: string | null;
}

/** A client under test. */
export interface Peer {
  readonly name: string;
  /** GET `path` (starting with `/`, relative to the base URL) and read the JSON body. */
  get(path: string): Promise<Outcome>;
  /** What the client would send next: lets a scenario check that rotated tokens were stored. */
  tokens(): HeldTokens;
  /** Releases timers and subscriptions the client owns (ours: `session.dispose()`). */
  close(): void;
}

/** The tokens a sign-in handed out. */
export interface InitialTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresAt?: number;
}

export interface PeerConfig {
  /** Origin of the API, e.g. `http://127.0.0.1:40123`. */
  readonly baseUrl: string;
  /** The OAuth2 token endpoint (form-encoded `grant_type=refresh_token`). */
  readonly tokenUrl: string;
  readonly tokens: InitialTokens;
  /** Replaces the network for the no-network overhead scenario. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** A client's whole-request timeout in ms, for a client that has one. @default its own default */
  readonly requestTimeout?: number;
}

/** How a scenario makes a fresh client for each case. */
export interface PeerFactory {
  readonly name: string;
  /** `floor`: no auth logic at all (plain fetch); `auth`: refreshes on 401. */
  readonly role: 'floor' | 'auth';
  create(config: PeerConfig): Peer;
}

/** Thrown by the peers' own refresh functions, so their callers can tell revocation apart. */
export class PeerRefreshError extends Error {
  override readonly name = 'PeerRefreshError';

  constructor(
    readonly revoked: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** A token endpoint answer (RFC 6749 §5.1) as the peers store it: both tokens, or an error. */
export function tokensFromAnswer(status: number, body: unknown, previousRefreshToken: string): { accessToken: string; refreshToken: string } {
  const answer = (typeof body === 'object' && body !== null ? body : {}) as { access_token?: unknown; refresh_token?: unknown; error?: unknown };
  if (status >= 200 && status < 300 && typeof answer.access_token === 'string') {
    return {
      accessToken: answer.access_token,
      refreshToken: typeof answer.refresh_token === 'string' ? answer.refresh_token : previousRefreshToken,
    };
  }
  const code = typeof answer.error === 'string' ? answer.error : `status ${status}`;
  throw new PeerRefreshError(code === 'invalid_grant', `refresh failed: ${code}`);
}

/** The form every peer posts to the token endpoint. */
export function refreshForm(refreshToken: string): URLSearchParams {
  return new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** Maps an HTTP status to an outcome. */
export function outcomeOfStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return OK;
  if (status === 401) return { kind: 'unauthorized', status };
  return { kind: 'http-error', status };
}

/** Maps a rejection that is not an HTTP status to an outcome. */
export function outcomeOfThrown(error: unknown): Outcome {
  if (error instanceof PeerRefreshError) return { kind: error.revoked ? 'revoked' : 'refresh-failed', detail: error.message };
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'AbortError' || name === 'TimeoutError') return { kind: 'timeout', detail: message };
  if (name === 'CanceledError') return { kind: 'canceled', detail: message };
  if (error instanceof TypeError && /fetch failed/i.test(message)) return { kind: 'network', detail: causeOf(error) };
  return { kind: 'other', detail: `${name}: ${message}` };
}

function causeOf(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error ? `${cause.name}: ${(cause as { code?: string }).code ?? cause.message}` : error.message;
}
