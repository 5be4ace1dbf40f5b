import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import { createOriginAllowList, originOf, type OriginAllowList } from '../request/origin-allow-list.js';
import { DEFAULT_RETRY, mergeRetry } from '../retry/retry-policy.js';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';
import type { RetryOption } from '../retry/retry-backoff-config.js';
import type { TokenAccess } from '../session/token-access.js';
import type { ApiRequest, ApiResponse } from '../transport/api-request.js';
import { fetchTransport } from '../transport/fetch-transport.js';
import type { Transport } from '../transport/transport.js';
import { checkDuration } from '../util/check-duration.js';
import { checkHeaders } from '../util/header-syntax.js';
import { refuseUrlCredentials } from '../util/url-credentials.js';
import { createPathJoins, type RequestDefaults } from './build-request.js';

/** Passes a request on to the rest of the chain. */
export type RequestHandler = (request: ApiRequest) => Observable<ApiResponse<unknown>>;

/**
 * A functional interceptor, as in Angular: change the request, call `next`, and work on the
 * response observable. Interceptors run once per call, outside the auth and retry steps, so
 * they never see the access token.
 *
 * @example
 * const traced: RequestInterceptor = (request, next) =>
 *   next({ ...request, headers: { ...request.headers, 'x-request-id': crypto.randomUUID() } });
 */
export type RequestInterceptor = (request: ApiRequest, next: RequestHandler) => Observable<ApiResponse<unknown>>;


/** How an {@link RxHttpClient} sends requests. Only `baseUrl` is required. */
export interface HttpClientConfig {
  /**
   * Relative URLs are joined onto it; its origin receives the access token. A relative
   * `baseUrl` (`'/api'`) is resolved against `document.baseURI` in browsers; in Node it is a
   * TypeError. It must not contain credentials (`user:password@`).
   */
  readonly baseUrl: string;
  /**
   * Supplies and refreshes the access token: a `TokenSession` (or another {@link TokenAccess}).
   * Without it (or with `null`) no request is authorized. Anything else, `{}` included, is a
   * TypeError naming the member it lacks.
   */
  readonly session?: TokenAccess | null;
  /** Further origins (`https://files.example.com`) that may receive the access token. @default [] */
  readonly allowedOrigins?: readonly string[];
  /** Retries of transient errors (network, timeout, 408, 429, 5xx) on idempotent requests. @default 2 retries */
  readonly retry?: RetryOption;
  /**
   * The whole request's limit in ms, `false` for none: its attempts, its backoff waits and its
   * wait for a refresh (rule 13). A request that gives up leaves the refresh running.
   * @default 30000
   */
  readonly timeout?: number | false;
  /** One attempt's limit in ms, `false` for none; a timed-out attempt is retried as transient. @default false */
  readonly attemptTimeout?: number | false;
  /** Headers sent with every request. @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** Run in order around every call, outside auth and retries. @default [] */
  readonly interceptors?: readonly RequestInterceptor[];
  /** The `fetch` to use, for the default transport. @default globalThis.fetch, looked up per call */
  readonly fetch?: typeof fetch;
  /** Replaces `fetch` altogether, e.g. with the test transport of `rx-token-http/testing`. */
  readonly transport?: Transport;
  /** Timers of timeouts and backoff; pass a `TestScheduler` in marble tests. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** {@link HttpClientConfig}, checked, with its defaults filled in. */
export interface ResolvedClientConfig {
  readonly defaults: RequestDefaults;
  /** The checked session, `undefined` for none. */
  readonly session: TokenAccess | undefined;
  /** The client's retry policy over the library's default. */
  readonly retry: RetryBackoffConfig;
  readonly allowList: OriginAllowList;
  readonly transport: Transport;
  readonly scheduler: SchedulerLike;
}

const EXAMPLE = "createHttpClient({ baseUrl: 'https://api.example.com' })";

/** Checks `config` and fills in the defaults; throws a TypeError naming the problem. */
export function resolveClientConfig(config: HttpClientConfig | undefined): ResolvedClientConfig {
  if (typeof config !== 'object' || config === null) throw new TypeError(`createHttpClient needs a config with at least a baseUrl: ${EXAMPLE}`);
  const baseUrl = resolveBaseUrl(config.baseUrl);
  const origins = [originOf(baseUrl, 'baseUrl'), ...(config.allowedOrigins ?? []).map((o) => originOf(o, 'allowedOrigins'))];
  const headers = config.headers ?? {};
  checkHeaders(headers);
  const retry = config.retry ?? DEFAULT_RETRY;
  const merged = mergeRetry(DEFAULT_RETRY, retry, 'createHttpClient: `retry`'); // checked at creation, not on every request
  return {
    defaults: {
      baseUrl,
      joins: createPathJoins(baseUrl),
      headers,
      timeout: checkTimeout(config.timeout ?? 30_000, 'timeout'),
      attemptTimeout: checkTimeout(config.attemptTimeout ?? false, 'attemptTimeout'),
      retry,
    },
    session: checkSession(config.session),
    retry: merged,
    allowList: createOriginAllowList(origins),
    transport: config.transport ?? fetchTransport(config.fetch),
    scheduler: config.scheduler ?? asyncScheduler,
  };
}

/** `value` when it is a usable timeout; a TypeError naming `what` otherwise. */
export function checkTimeout(value: number | false, what: string): number | false {
  return checkDuration(value, what, { min: 1, orFalse: true });
}

const SESSION_METHODS = ['token', 'report'] as const;

// A session that is not one fails here, naming what it lacks, instead of in every request with
// "Cannot read properties of undefined".
function checkSession(session: unknown): TokenAccess | undefined {
  if (session === undefined || session === null) return undefined;
  const lack = sessionLack(session);
  if (lack === undefined) return session as TokenAccess;
  throw new TypeError(`createHttpClient: \`session\` must be a TokenSession from createTokenSession(...) (or another TokenAccess); ${lack}`);
}

function sessionLack(session: unknown): string | undefined {
  if (typeof session !== 'object' && typeof session !== 'function') return `got ${typeof session}`;
  const members = session as Record<string, unknown>;
  const method = SESSION_METHODS.find((name) => typeof members[name] !== 'function');
  if (method !== undefined) return `it has no ${method}() method`;
  if (typeof (members.revoked$ as { subscribe?: unknown } | undefined)?.subscribe !== 'function') return 'its revoked$ is not an observable';
  return undefined;
}

function resolveBaseUrl(baseUrl: unknown): string {
  if (typeof baseUrl !== 'string' || baseUrl === '') throw new TypeError(`createHttpClient needs a baseUrl string: ${EXAMPLE}`);
  const absolute = URL.canParse(baseUrl);
  const base = (globalThis as { document?: { baseURI?: string } }).document?.baseURI;
  if (!absolute && base === undefined) throw new TypeError(`baseUrl must be absolute outside a browser (there is no document.baseURI to resolve it against): ${EXAMPLE}`);
  const url = new URL(baseUrl, base);
  refuseUrlCredentials(url, 'baseUrl');
  return absolute ? baseUrl : url.href; // an absolute one as given: the join in buildRequest keeps its path
}
