import { FakeNetworkFault, type FakeAuthorizationServer, type IssuedTokens } from '../../lib/testing/fake-authorization-server.js';

/** One refresh token presented at the token endpoint, and what the server did with it. */
export interface Presentation {
  /** The refresh token's label (family and issue number), never the token itself. */
  readonly token: string;
  readonly family: string | undefined;
  /** The member's session (incarnation) whose fetch presented it. */
  readonly by: string;
  /** When it reached the server, on the run's event clock. */
  readonly at: number;
  /** Whether the server granted it (spent it, with rotation); unknown until it decided. */
  granted?: boolean;
}

/**
 * The fake authorization server as the model sees it: every token labelled by its sign-in (the
 * server's token family) so reports never print a token; every attempt of every API request
 * recorded with the token it carried; every refresh-token presentation recorded with its outcome;
 * and, with `spendOnArrival`, a token endpoint that decides a call once it arrived even if the
 * client aborts it afterwards (a real server does not hear the abort: the token is spent when the
 * request reaches it, not when the answer does; issue 21, item 3).
 */
export interface ModelServer {
  /** The `fetch` of one member's session: its label names the presentations it makes. */
  fetchFor(by: string): typeof fetch;
  /** Records a sign-in's tokens (the family they start). */
  issued(tokens: IssuedTokens): void;
  /** The sign-in (family) a token belongs to, when the server issued it. */
  familyOf(token: string | null | undefined): string | undefined;
  /** A label for a token, stable across runs of one seed: `family-2/a3` (third access token seen). */
  label(token: string | null | undefined): string;
  /** API request id → the token (label) each attempt carried, in order ('' for none). */
  readonly attempts: ReadonlyMap<string, readonly string[]>;
  readonly presentations: readonly Presentation[];
  /** Family → when a client revoked it (RFC 7009), on the run's event clock. */
  readonly revokedByClient: ReadonlyMap<string, number>;
  /** Runs `hook` (in a microtask) when the next token call of `by` has reached the server. */
  onNextTokenCall(by: string, hook: () => void): void;
}

export function createModelServer(fake: FakeAuthorizationServer, options: { spendOnArrival: boolean; tick: () => number }): ModelServer {
  const families = new Map<string, string>();
  const labels = new Map<string, string>();
  const counts = new Map<string, number>();
  const attempts = new Map<string, string[]>();
  const presentations: Presentation[] = [];
  const revokedByClient = new Map<string, number>();
  const hooks = new Map<string, () => void>();

  const familyOf = (token: string | null | undefined): string | undefined => {
    if (!token) return undefined;
    const known = families.get(token);
    if (known !== undefined) return known;
    const payload = token.split('.')[1];
    if (!payload) return undefined;
    try {
      return (JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { fam?: string }).fam;
    } catch {
      return undefined;
    }
  };
  const remember = (token: string, family: string, kind: 'a' | 'r') => {
    families.set(token, family);
    if (labels.has(token)) return;
    const key = `${family}/${kind}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    labels.set(token, `${key}${n}`);
  };
  const label = (token: string | null | undefined): string => {
    if (!token) return '';
    const family = familyOf(token);
    if (family !== undefined && !labels.has(token)) remember(token, family, token.includes('.') ? 'a' : 'r');
    return labels.get(token) ?? 'unknown-token';
  };

  const tokenCall = async (request: Request, by: string): Promise<Response> => {
    const body = await request.text();
    const presented = new URLSearchParams(body).get('refresh_token') ?? '';
    const record: Presentation = { token: label(presented), family: familyOf(presented), by, at: options.tick() };
    presentations.push(record);
    const hook = hooks.get(by);
    if (hook) {
      hooks.delete(by);
      queueMicrotask(hook);
    }
    const init = { method: request.method, headers: request.headers, body };
    const signal = request.signal;
    const served = fake.handle(new Request(request.url, options.spendOnArrival ? init : { ...init, signal })).then(async (response) => {
      record.granted = response.status === 200;
      if (response.status === 200) {
        const answer = (await response.clone().json()) as { access_token: string; refresh_token?: string };
        const family = familyOf(answer.access_token);
        if (family !== undefined) {
          remember(answer.access_token, family, 'a');
          if (answer.refresh_token) remember(answer.refresh_token, family, 'r');
        }
      }
      return response;
    });
    if (!options.spendOnArrival) return served;
    // The client stops listening; the server does not.
    return new Promise<Response>((resolve, reject) => {
      const aborted = () => reject(signal.reason ?? new DOMException('This operation was aborted', 'AbortError'));
      if (signal.aborted) aborted();
      signal.addEventListener('abort', aborted, { once: true });
      served.then(resolve, reject);
    });
  };

  const revocation = async (request: Request): Promise<Response> => {
    const body = await request.clone().text();
    const family = familyOf(new URLSearchParams(body).get('token'));
    const response = await fake.handle(request);
    if (family !== undefined && response.ok && !revokedByClient.has(family)) revokedByClient.set(family, options.tick());
    return response;
  };

  const fetchFor =
    (by: string): typeof fetch =>
    async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      const id = url.searchParams.get('id');
      if (id) {
        const sent = attempts.get(id) ?? [];
        sent.push(label(request.headers.get('authorization')?.slice('Bearer '.length)));
        attempts.set(id, sent);
      }
      const answer = url.pathname === '/oauth/token' ? tokenCall(request, by) : url.pathname === '/oauth/revoke' ? revocation(request) : fake.handle(request);
      return answer.catch((error: unknown) => {
        throw error instanceof FakeNetworkFault ? new TypeError('fetch failed', { cause: error }) : error;
      });
    };

  return {
    fetchFor,
    issued(tokens) {
      const family = familyOf(tokens.accessToken)!;
      remember(tokens.accessToken, family, 'a');
      remember(tokens.refreshToken, family, 'r');
    },
    familyOf,
    label,
    attempts,
    presentations,
    revokedByClient,
    onNextTokenCall: (by, hook) => hooks.set(by, hook),
  };
}
