// The code examples of docs/*.md, run. The docs import from 'rx-token-http' and
// 'rx-token-http/testing'; here the same code imports from lib/. The first describe checks that
// every ```ts block of the docs appears in this file (or, when marked `<!-- from: path -->`, in
// that spec), so the docs cannot drift from code that runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  EMPTY,
  Subject,
  catchError,
  debounceTime,
  defer,
  distinctUntilChanged,
  filter,
  finalize,
  firstValueFrom,
  lastValueFrom,
  of,
  switchMap,
  throwError,
} from 'rxjs';
import { fromFetch } from 'rxjs/fetch';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HttpError,
  NetworkError,
  TokenRevokedError,
  authorize,
  createHttpClient,
  createTokenSession,
  isTransientError,
  oauth2RefreshGrant,
  oauth2Revocation,
  retryBackoff,
  shareInMemory,
  shareStore,
  type RxHttpClient,
  RxTokenHttpError,
  type RequestInterceptor,
  type SessionState,
  type TokenSession,
  type TokenSet,
  type TokenStore,
} from '../../lib/index.js';
import {
  createFakeAuthorizationServer,
  createOAuth2Handlers,
  createTestTransport,
  type FakeAuthorizationServer,
  type TestTransport,
  type TestResponse,
} from '../../lib/testing/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const THIS_SPEC = 'spec/docs/examples.spec.ts';
const DOCS = ['docs/getting-started.md', 'docs/how-refresh-works.md', 'docs/retries-and-errors.md', 'docs/testing.md'];
const read = (path: string): string => readFileSync(ROOT + path, 'utf8');

/* Stand-ins for the application code the examples call. */
const render = vi.fn<(value: unknown) => void>();
const router = { navigate: vi.fn<(commands: unknown[]) => void>() };
const metrics = {
  timing: vi.fn<(name: string, ms: number) => void>(),
  increment: vi.fn<(name: string, tags?: Record<string, unknown>) => void>(),
};
const logger = { warn: vi.fn<(message: string, error: unknown) => void>() };

beforeEach(() => {
  vi.clearAllMocks();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

/* ------------------------------------------------------------------------------------------ */
/* The docs and this file agree                                                               */
/* ------------------------------------------------------------------------------------------ */

interface CodeBlock {
  readonly where: string;
  readonly lang: string;
  readonly code: string;
  /** The HTML comment right above the fence: `from: <path>` or `not run: <reason>`. */
  readonly marker: string | undefined;
}

function codeBlocks(doc: string): CodeBlock[] {
  const lines = read(doc).split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    let above = i - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    const marker = /^<!--\s*(.*?)\s*-->$/.exec(lines[above]?.trim() ?? '')?.[1];
    blocks.push({ where: `${doc}:${i + 1}`, lang: open[1]!, code: lines.slice(i + 1, end).join('\n'), marker });
    i = end;
  }
  return blocks;
}

interface ParsedBlock {
  readonly imports: { readonly names: string[]; readonly from: string }[];
  /** Runs of non-blank lines (trimmed), in order; blank lines separate them. */
  readonly paragraphs: string[][];
}

function parseBlock(code: string): ParsedBlock {
  const imports: ParsedBlock['imports'] = [];
  const paragraphs: string[][] = [[]];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (/^import\s/.test(line)) {
      let statement = line;
      while (!/from\s+'[^']+';?$/.test(statement) && !/^import\s+'[^']+';?$/.test(statement) && i + 1 < lines.length) statement += ` ${lines[++i]!.trim()}`;
      const from = /'([^']+)';?$/.exec(statement)?.[1] ?? '';
      const names = (/\{([^}]*)\}/.exec(statement)?.[1] ?? '')
        .split(',')
        .map((name) => name.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!)
        .filter(Boolean);
      imports.push({ names, from });
      continue;
    }
    if (line === '') paragraphs.push([]);
    else paragraphs.at(-1)!.push(line);
  }
  return { imports, paragraphs: paragraphs.filter((p) => p.length > 0) };
}

/** Where `needle` occurs as consecutive lines of `haystack` at or after `from`, or -1. */
function indexOfLines(haystack: readonly string[], needle: readonly string[], from: number): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function exportedNames(entry: string): Set<string> {
  const names = new Set<string>();
  for (const match of read(entry).matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const name of match[1]!.split(',')) names.add(name.trim().replace(/^type\s+/, ''));
  }
  return names;
}

/** GitHub's heading anchors, and the explicit ones (`<a id="rule-7"></a>`). */
function anchors(doc: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fenced = false;
  for (const line of read(doc).split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const explicit = fenced ? null : /^<a id="([^"]+)"><\/a>$/.exec(line.trim());
    if (explicit) result.add(explicit[1]!);
    const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

describe('the docs', () => {
  const entries: Record<string, Set<string>> = {
    'rx-token-http': exportedNames('lib/index.ts'),
    'rx-token-http/testing': exportedNames('lib/testing/index.ts'),
  };
  const sources = new Map<string, string[]>();
  const linesOf = (path: string): string[] => {
    if (!sources.has(path)) sources.set(path, read(path).split('\n').map((line) => line.trim()).filter(Boolean));
    return sources.get(path)!;
  };

  for (const doc of DOCS) {
    const blocks = codeBlocks(doc).filter((block) => block.lang === 'ts');

    it(`${doc} has TypeScript examples`, () => {
      expect(blocks.length).toBeGreaterThan(0);
    });

    for (const block of blocks) {
      it(`${block.where} runs here (or in the spec it names)`, () => {
        if (block.marker?.startsWith('not run:')) return;
        const target = block.marker?.startsWith('from:') ? block.marker.slice('from:'.length).trim() : THIS_SPEC;
        const { imports, paragraphs } = parseBlock(block.code);
        for (const { names, from } of imports) {
          expect(from, `${block.where} imports from ${from}`).toMatch(/^(rx-token-http(\/testing)?|rxjs(\/[a-z]+)?|msw(\/node)?|vitest)$/);
          const exported = entries[from];
          if (exported) for (const name of names) expect(exported.has(name), `${from} exports ${name}`).toBe(true);
        }
        let position = 0;
        for (const paragraph of paragraphs) {
          const found = indexOfLines(linesOf(target), paragraph, position);
          expect(found, `${block.where}: not found in ${target} (in order):\n${paragraph.join('\n')}`).toBeGreaterThanOrEqual(0);
          position = found + paragraph.length;
        }
      });
    }

    it(`${doc} links only to files and headings that exist`, () => {
      for (const [, target, anchor] of read(doc).matchAll(/\]\(([^)#\s]*?\.md|)(?:#([^)\s]+))?\)/g)) {
        const file = target ? `docs/${target}` : doc;
        expect(existsSync(ROOT + file), `${doc} links to ${file}`).toBe(true);
        if (anchor) expect([...anchors(file)], `${doc} links to ${file}#${anchor}`).toContain(anchor);
      }
    });
  }
});

/** The words above a fence, back to the blank line before them (a `<!-- … -->` marker skipped). */
function proseAbove(doc: string, fenceLine: number): string {
  const lines = read(doc).split('\n');
  let i = fenceLine - 2;
  while (i >= 0 && (lines[i]!.trim() === '' || /^<!--.*-->$/.test(lines[i]!.trim()))) i--;
  const prose: string[] = [];
  while (i >= 0 && lines[i]!.trim() !== '') prose.unshift(lines[i--]!);
  return prose.join(' ');
}

describe('every guide (docs/*.md) and the README', () => {
  const GUIDES = [
    'README.md',
    ...readdirSync(ROOT + 'docs')
      .filter((file) => file.endsWith('.md'))
      .map((file) => `docs/${file}`),
  ];
  const ENTRIES = ['', '/testing', '/angular', '/tabs', '/redis', '/dpop'];
  const exported = new Map(ENTRIES.map((entry) => [`rx-token-http${entry}`, exportedNames(`lib${entry}/index.ts`)]));
  const allExported = new Set([...exported.values()].flatMap((names) => [...names]));

  for (const doc of GUIDES) {
    const blocks = codeBlocks(doc).filter((block) => block.lang === 'ts' && !block.marker?.startsWith('not run:'));

    it(`${doc}: each TypeScript example imports what it uses from the package, or says which example it continues`, () => {
      const importedBefore = new Set<string>();
      const problems: string[] = [];
      for (const block of blocks) {
        const { imports } = parseBlock(block.code);
        const imported = new Set(imports.flatMap(({ names }) => names));
        for (const { names, from } of imports) {
          const entry = exported.get(from);
          for (const name of entry ? names : []) if (!entry!.has(name)) problems.push(`${block.where}: ${from} has no export ${name}`);
        }
        const code = block.code
          .split('\n')
          .filter((line) => !/^\s*import\s/.test(line))
          .map((line) => line.replace(/(^|\s)\/\/.*$/, '').replace(/'[^']*'|`[^`]*`/g, "''"))
          .join('\n');
        const used = [...new Set([...code.matchAll(/(?<![.\w$])([A-Za-z_$][\w$]*)\b/g)].map((match) => match[1]!))].filter((name) => allExported.has(name));
        const missing = used.filter((name) => !imported.has(name));
        if (missing.length > 0) {
          const line = Number(block.where.split(':').at(-1));
          if (!/continu/i.test(proseAbove(doc, line))) {
            problems.push(`${block.where} uses ${missing.join(', ')} without importing it, and the text above it does not say which example it continues`);
          }
          for (const name of missing.filter((name) => !importedBefore.has(name))) {
            problems.push(`${block.where} continues an example that imports ${name}, but no example above imports it`);
          }
        }
        for (const name of imported) importedBefore.add(name);
      }
      expect(problems).toEqual([]);
    });

    if (DOCS.includes(doc)) continue; // checked in full above
    for (const block of blocks.filter((b) => b.marker?.startsWith('from:'))) {
      it(`${block.where} is in the spec it names`, () => {
        const target = block.marker!.slice('from:'.length).trim();
        const source = read(target).split('\n').map((line) => line.trim()).filter(Boolean);
        let position = 0;
        for (const paragraph of parseBlock(block.code).paragraphs) {
          const found = indexOfLines(source, paragraph, position);
          expect(found, `${block.where}: not found in ${target} (in order):\n${paragraph.join('\n')}`).toBeGreaterThanOrEqual(0);
          position = found + paragraph.length;
        }
      });
    }
  }
});

/* ------------------------------------------------------------------------------------------ */
/* docs/getting-started.md                                                                    */
/* ------------------------------------------------------------------------------------------ */

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
}

describe('docs/getting-started.md', () => {
  const gsServer = setupServer();
  let fake: FakeAuthorizationServer;
  const seen: Seen[] = [];

  beforeAll(() => {
    gsServer.listen({ onUnhandledRequest: 'error' });
    gsServer.events.on('request:start', ({ request }) => seen.push({ method: request.method, url: request.url, headers: request.headers }));
  });
  beforeEach(() => {
    seen.length = 0;
    fake = createFakeAuthorizationServer({ apiPrefix: '/v1/' });
    gsServer.use(
      ...createOAuth2Handlers({ http, server: fake, origin: 'https://auth.example.com' }),
      ...createOAuth2Handlers({ http, server: fake, origin: 'https://api.example.com' }),
    );
  });
  afterEach(() => gsServer.resetHandlers());
  afterAll(() => gsServer.close());

  /** An API route that the fake authorizes and `answer` answers. */
  function route(method: 'get' | 'head' | 'post' | 'put', path: string, answer: (request: Request) => Response | Promise<Response>) {
    return http[method](`https://api.example.com/v1${path}`, async ({ request }) => {
      const check = await fake.handle(request.clone());
      return check.ok ? answer(request) : check;
    });
  }

  function quickStart() {
    const { accessToken, refreshToken, expiresAt } = fake.signIn('ada');

    const session = createTokenSession({
      tokens: { accessToken, refreshToken, expiresAt }, // from your sign-in; expiresAt in epoch ms
      refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' }),
    });

    const api = createHttpClient({ baseUrl: 'https://api.example.com/v1', session });
    return { session, api, accessToken, refreshToken, expiresAt };
  }

  it('creates a session and a client that sends the token to the API only', async () => {
    const { session, api, accessToken } = quickStart();

    await expect(lastValueFrom(api.get('/me'))).resolves.toMatchObject({ ok: true, sub: 'ada' });

    expect(seen.map((r) => [r.url, r.headers.get('authorization')])).toEqual([['https://api.example.com/v1/me', `Bearer ${accessToken}`]]);
    session.dispose();
  });

  describe('making requests', () => {
    interface User {
      id: number;
      name: string;
    }

    it('sends params, verbs and bodies', async () => {
      const { session, api } = quickStart();

      api.get<User[]>('/users', { params: { page: 2, role: ['admin', 'ops'] } }).subscribe((users) => render(users));
      // GET https://api.example.com/v1/users?page=2&role=admin&role=ops
      await vi.waitFor(() => expect(render).toHaveBeenCalled());
      expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET https://api.example.com/v1/users?page=2&role=admin&role=ops']);

      const one$ = api.get<User>('/users/7');
      const created$ = api.post<User>('/users', { name: 'Ada' }); // objects and arrays are sent as JSON
      const replaced$ = api.put<User>('/users/7', { id: 7, name: 'Ada' });
      const patched$ = api.patch<User>('/users/7', { name: 'Ada L.' });
      const deleted$ = api.delete('/users/7');
      const exists$ = api.head('/users/7'); // emits null
      const allowed$ = api.request('OPTIONS', '/users');
      const posted$ = api.request<User>('POST', '/users', { body: { name: 'Grace' } });

      // The fake API echoes { ok, method, path, sub, body }.
      const echoed = await Promise.all([one$, created$, replaced$, patched$, deleted$, allowed$, posted$].map((r$) => lastValueFrom(r$)));
      expect(echoed.map((e) => e as unknown as { method: string; body?: unknown })).toEqual([
        expect.objectContaining({ method: 'GET' }),
        expect.objectContaining({ method: 'POST', body: { name: 'Ada' } }),
        expect.objectContaining({ method: 'PUT', body: { id: 7, name: 'Ada' } }),
        expect.objectContaining({ method: 'PATCH', body: { name: 'Ada L.' } }),
        expect.objectContaining({ method: 'DELETE' }),
        expect.objectContaining({ method: 'OPTIONS' }),
        expect.objectContaining({ method: 'POST', body: { name: 'Grace' } }),
      ]);
      await expect(lastValueFrom(exists$)).resolves.toBeNull();
      expect(seen.find((r) => r.method === 'POST')?.headers.get('content-type')).toBe('application/json');
      session.dispose();
    });

    it('reads text and blobs', async () => {
      const { session, api } = quickStart();
      gsServer.use(route('get', '/reports/7.pdf', () => new HttpResponse(new Blob(['%PDF-1.7'], { type: 'application/pdf' }))));

      const csv$ = api.get<string>('/reports/7', { params: { format: 'csv' }, responseType: 'text' });
      const pdf$ = api.get<Blob>('/reports/7.pdf', { responseType: 'blob' });

      expect(typeof (await lastValueFrom(csv$))).toBe('string');
      const pdf = await lastValueFrom(pdf$);
      expect(pdf).toBeInstanceOf(Blob);
      await expect(pdf.text()).resolves.toBe('%PDF-1.7');
      session.dispose();
    });

    it("emits the whole response with observe: 'response'", async () => {
      const { session, api } = quickStart();
      gsServer.use(
        route('post', '/users', async (request) =>
          HttpResponse.json({ id: 8, ...((await request.json()) as object) }, { status: 201, headers: { location: '/v1/users/8' } }),
        ),
      );

      const { status, headers, body } = await lastValueFrom(api.post<User>('/users', { name: 'Ada' }, { observe: 'response' }));
      // status: 201, headers.get('location'): '/v1/users/8', body: { id: 8, name: 'Ada' }

      expect([status, headers.get('location'), body]).toEqual([201, '/v1/users/8', { id: 8, name: 'Ada' }]);
      session.dispose();
    });

    it('applies per-request options', async () => {
      const { session, api } = quickStart();
      gsServer.use(http.get('https://api.example.com/v1/health', () => HttpResponse.json({ up: true })));
      const order = { sku: 'tea-7', quantity: 2 };

      const yearly$ = api.get('/reports/yearly', { timeout: 120_000 }); // the whole request, instead of the client's 30 s
      const health$ = api.get('/health', { auth: false, retry: false }); // no token, no retries
      const order$ = api.post('/orders', order, { headers: { 'Idempotency-Key': crypto.randomUUID() } }); // retried on transient errors
      const search$ = api.post('/search', { q: 'ada' }, { idempotent: true }); // safe to send twice: retried too

      await Promise.all([yearly$, health$, order$, search$].map((r$) => lastValueFrom(r$)));
      const sent = (path: string) => seen.find((r) => r.url.endsWith(path))!.headers;
      expect(sent('/health').get('authorization')).toBeNull();
      expect(sent('/orders').get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/);
      expect(sent('/search').get('authorization')).toMatch(/^Bearer /);
      session.dispose();
    });
  });

  describe('cancelling', () => {
    interface User {
      id: number;
      name: string;
    }

    it('aborts the fetch on unsubscribe, without a notification', async () => {
      const { session, api } = quickStart();
      const fetchSpy = vi.spyOn(globalThis, 'fetch');
      const error = vi.fn();

      const subscription = api.get('/reports/yearly').subscribe((report) => render(report));
      subscription.unsubscribe(); // the fetch is aborted

      api.get('/never').subscribe({ error }).unsubscribe();
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fetchSpy.mock.calls.map(([, init]) => init?.signal?.aborted)).toEqual([true, true]);
      expect(render).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();
      session.dispose();
    });

    it('cancels the previous search with switchMap', async () => {
      const { session, api } = quickStart();
      const searchTerms$ = new Subject<string>();

      const results$ = searchTerms$.pipe(
        debounceTime(300),
        distinctUntilChanged(),
        switchMap((q) => api.get<User[]>('/users', { params: { q } })), // a new term aborts the previous request
      );

      results$.subscribe(render);
      searchTerms$.next('a');
      searchTerms$.next('ad');
      searchTerms$.next('ada');
      await vi.waitFor(() => expect(render).toHaveBeenCalledTimes(1));
      expect(seen.map((r) => r.url)).toEqual(['https://api.example.com/v1/users?q=ada']);
      session.dispose();
    });
  });

  it('runs interceptors in order, without showing them the token', async () => {
    const { session } = quickStart();
    const requests: string[] = [];

    const requestId: RequestInterceptor = (request, next) =>
      next({ ...request, headers: { ...request.headers, 'x-request-id': crypto.randomUUID() } });

    const timing: RequestInterceptor = (request, next) => {
      const started = performance.now();
      return next(request).pipe(finalize(() => metrics.timing(`${request.method} ${new URL(request.url).pathname}`, performance.now() - started)));
    };

    const traced = createHttpClient({ baseUrl: 'https://api.example.com/v1', session, interceptors: [requestId, timing] });

    const spy: RequestInterceptor = (request, next) => (requests.push(JSON.stringify(request)), next(request));
    await lastValueFrom(traced.get('/me'));
    await lastValueFrom(createHttpClient({ baseUrl: 'https://api.example.com/v1', session, interceptors: [spy] }).get('/me'));
    expect(seen[0]?.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(metrics.timing).toHaveBeenCalledWith('GET /v1/me', expect.any(Number));
    expect(requests[0]).not.toContain(session.state.tokens!.accessToken);
    session.dispose();
  });

  it('reacts to revocation once, and setTokens revives the session', async () => {
    const { session, api } = quickStart();

    session.events$.pipe(filter((event) => event.type === 'session-revoked')).subscribe(() => {
      router.navigate(['/sign-in']);
    });

    fake.revokeAll();
    const failures = await Promise.all([api.get('/a'), api.get('/b')].map((r$) => lastValueFrom(r$).catch((error: unknown) => error)));
    expect(failures.every((e) => e instanceof TokenRevokedError)).toBe(true);
    expect(router.navigate).toHaveBeenCalledTimes(1);
    expect(router.navigate).toHaveBeenCalledWith(['/sign-in']);

    const again = fake.signIn('ada');
    session.setTokens({ accessToken: again.accessToken, refreshToken: again.refreshToken });
    await expect(lastValueFrom(api.get('/me'))).resolves.toMatchObject({ ok: true });
    session.dispose();
  });

  it('runs the Node script', async () => {
    fake = createFakeAuthorizationServer({ apiPrefix: '/v1/', clientId: 'invoice-sync', clientSecret: 'not-a-real-secret' });
    gsServer.use(
      ...createOAuth2Handlers({ http, server: fake, origin: 'https://auth.example.com' }),
      route('get', '/invoices', () => HttpResponse.json([{ id: 1 }, { id: 2 }])),
      ...createOAuth2Handlers({ http, server: fake, origin: 'https://api.example.com' }),
    );
    vi.stubEnv('REFRESH_TOKEN', fake.signIn('sync-bot').refreshToken);
    vi.stubEnv('CLIENT_SECRET', 'not-a-real-secret');
    const saveRefreshToken = vi.fn<(token: string) => void>();

    interface Invoice {
      id: number;
    }

    const session = createTokenSession({
      // No access token yet: the first request refreshes first.
      tokens: { refreshToken: process.env.REFRESH_TOKEN! },
      refresh: oauth2RefreshGrant({
        tokenUrl: 'https://auth.example.com/oauth/token',
        clientId: 'invoice-sync',
        clientSecret: process.env.CLIENT_SECRET!, // sent as HTTP Basic auth
      }),
    });
    // With rotation each refresh spends the old refresh token: keep the new one for the next run.
    session.events$.subscribe((event) => {
      if (event.type === 'refresh-succeeded') saveRefreshToken(session.state.tokens!.refreshToken!);
    });

    const api = createHttpClient({ baseUrl: 'https://api.example.com/v1', session });
    try {
      const invoices = await lastValueFrom(api.get<Invoice[]>('/invoices', { params: { status: 'open' } }));
      for (const invoice of invoices) {
        await lastValueFrom(api.post(`/invoices/${invoice.id}/sync`, null, { headers: { 'Idempotency-Key': `sync-${invoice.id}` } }));
      }
    } finally {
      session.dispose();
    }

    expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, apiUnauthorized: 0 });
    expect(saveRefreshToken).toHaveBeenCalledWith(fake.issuedRefreshTokens.at(-1));
    expect(seen.filter((r) => r.url.includes('/sync')).map((r) => r.headers.get('idempotency-key'))).toEqual(['sync-1', 'sync-2']);
    expect(seen.find((r) => r.url.endsWith('/oauth/token'))?.headers.get('authorization')).toMatch(/^Basic /);
  });

  describe('options reference', () => {
    it('createHttpClient', async () => {
      const { session } = quickStart();
      gsServer.use(http.get('https://files.example.com/f/1', () => HttpResponse.json('file')));
      const requestId: RequestInterceptor = (request, next) => next(request);
      const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

      const v2 = createHttpClient({ baseUrl: 'https://api.example.com/v2', session });
      const publicApi = createHttpClient({ baseUrl: 'https://api.example.com/public' });
      const withFiles = createHttpClient({ baseUrl: 'https://api.example.com/v1', session, allowedOrigins: ['https://files.example.com'] });
      const patient = createHttpClient({ baseUrl: 'https://api.example.com/v1', session, retry: { maxRetries: 4, baseDelay: 500 } });
      const quick = createHttpClient({ baseUrl: 'https://api.example.com/v1', session, timeout: 5_000 });
      const impatient = createHttpClient({ baseUrl: 'https://api.example.com/v1', session, timeout: 20_000, attemptTimeout: 5_000 });
      const versioned = createHttpClient({ baseUrl: 'https://api.example.com/v1', session, headers: { accept: 'application/vnd.example+json' } });
      const withId = createHttpClient({ baseUrl: 'https://api.example.com/v1', session, interceptors: [requestId] });
      const withCookies = createHttpClient({ baseUrl: 'https://api.example.com/v1', session, fetch: (input, init) => fetch(input, { ...init, credentials: 'include' }) });

      const testBackend = createTestTransport();
      const inTests = createHttpClient({ baseUrl: 'https://api.example.com/v1', transport: testBackend.transport });

      const virtual = createHttpClient({ baseUrl: 'https://api.example.com/v1', transport: testBackend.transport, scheduler: testScheduler });

      for (const client of [v2, publicApi, patient, quick, impatient, withId, withCookies, virtual]) expect(typeof client.get).toBe('function');
      await lastValueFrom(withFiles.get('https://files.example.com/f/1'));
      await lastValueFrom(versioned.get('/me'));
      expect(seen.map((r) => [r.url, r.headers.get('authorization')?.slice(0, 7), r.headers.get('accept')])).toEqual([
        ['https://files.example.com/f/1', 'Bearer ', null],
        ['https://api.example.com/v1/me', 'Bearer ', 'application/vnd.example+json'],
      ]);
      inTests.get('/me').subscribe();
      testBackend.expectOne('/v1/me').flush({});
      session.dispose();
    });

    it('RequestOptions', async () => {
      const { session, api } = quickStart();
      gsServer.use(
        http.get('https://api.example.com/v1/status', () => HttpResponse.json({ up: true })),
        route('get', '/avatars/7', () => new HttpResponse(new Uint8Array([137, 80, 78, 71]))),
      );
      const file = new Blob(['contents'], { type: 'text/plain' });

      const page$ = api.get('/users', { params: { page: 2, role: ['admin', 'ops'], cursor: null } });
      const fresh$ = api.get('/users/7', { headers: { 'Cache-Control': 'no-cache' } });
      const bytes$ = api.get<ArrayBuffer>('/avatars/7', { responseType: 'arrayBuffer' });
      const upload$ = api.put('/files/7', file, { timeout: 300_000 });
      const noRetry$ = api.get('/users/7', { retry: false });
      const status$ = api.get('/status', { auth: false });
      const query$ = api.post('/search', { q: 'ada' }, { idempotent: true });
      const full$ = api.get<User>('/users/7', { observe: 'response' });

      await Promise.all([page$, fresh$, upload$, noRetry$, status$, query$].map((r$) => lastValueFrom(r$)));
      expect(seen[0]?.url).toBe('https://api.example.com/v1/users?page=2&role=admin&role=ops');
      expect(seen[1]?.headers.get('cache-control')).toBe('no-cache');
      expect(await lastValueFrom(bytes$)).toBeInstanceOf(ArrayBuffer);
      expect((await lastValueFrom(full$)).status).toBe(200);
      session.dispose();

      interface User {
        id: number;
      }
    });

    it('createTokenSession', async () => {
      const { accessToken, refreshToken, expiresAt } = fake.signIn('ada');
      const refresh = oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' });
      const myAuthSdk = { renew: async (token: string) => ({ access: `sdk-access-for-${token.length}`, refresh: 'sdk-refresh', ttl: 3_600 }) };
      const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

      const restored = createTokenSession({ tokens: { accessToken, refreshToken, expiresAt }, refresh });

      const custom = createTokenSession({
        tokens: { accessToken, refreshToken },
        refresh: async (token) => {
          const body = await myAuthSdk.renew(token);
          return { accessToken: body.access, refreshToken: body.refresh, expiresAt: Date.now() + body.ttl * 1000 };
        },
      });

      const early = createTokenSession({ tokens: { accessToken, refreshToken, expiresAt }, refresh, skew: 60_000 });
      const slowIdp = createTokenSession({ tokens: { accessToken, refreshToken }, refresh, refreshTimeout: 20_000 });
      const bounded = createTokenSession({ tokens: { accessToken, refreshToken }, refresh, refreshDeadline: 8_000 });
      const stubborn = createTokenSession({ tokens: { accessToken, refreshToken }, refresh, refreshRetry: { maxRetries: 5, maxDelay: 30_000 } });
      const ahead = createTokenSession({ tokens: { accessToken, refreshToken, expiresAt }, refresh, refreshAhead: true });
      {
        // Its own sign-in: revoking a refresh token ends its whole family at the fake server.
        const { accessToken, refreshToken } = fake.signIn('bob');

        const revocable = createTokenSession({
          tokens: { accessToken, refreshToken },
          refresh,
          revoke: oauth2Revocation({ revocationUrl: 'https://auth.example.com/oauth/revoke', clientId: 'web' }),
        });
        revocable.signOut({ revoke: true });

        await vi.waitFor(() => expect(fake.stats.revocationRequests).toBe(1));
        revocable.dispose();
      }
      const shared = createTokenSession({ tokens: { accessToken, refreshToken }, refresh, share: shareInMemory() });
      const inVirtualTime = createTokenSession({ tokens: { accessToken, refreshToken }, refresh, scheduler: testScheduler });

      await expect(firstValueFrom(custom.refresh$)).resolves.toMatchObject({ refreshToken: 'sdk-refresh', expiresAt: expect.any(Number) });
      const refreshed = await firstValueFrom(restored.refresh$);
      expect(refreshed.refreshToken).toBe(fake.issuedRefreshTokens.at(-1));
      // 60 s tokens: the margin is 15 s, so nothing is due yet.
      expect(restored.state.tokens?.expiresAt).toBeGreaterThan(Date.now() + 45_000);
      for (const s of [restored, custom, early, slowIdp, bounded, stubborn, ahead, shared, inVirtualTime]) s.dispose();
    });

    it('oauth2RefreshGrant', async () => {
      vi.stubEnv('CLIENT_SECRET', 'not-a-real-secret');
      const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

      const grant = oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' });
      const spa = oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' });
      const confidential = oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'invoice-sync', clientSecret: process.env.CLIENT_SECRET! });
      const readOnly = oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web', scope: 'orders:read' });
      const forOrders = oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web', extraParams: { resource: 'https://api.example.com' } });

      const counted = oauth2RefreshGrant({
        tokenUrl: 'https://auth.example.com/oauth/token',
        clientId: 'web',
        fetch: (input, init) => {
          metrics.increment('auth.token_requests');
          return fetch(input, init);
        },
      });

      const virtualGrant = oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', scheduler: testScheduler });

      for (const g of [grant, spa, confidential, readOnly, forOrders, virtualGrant]) expect(typeof g).toBe('function');
      await expect(firstValueFrom(counted(fake.signIn().refreshToken))).resolves.toMatchObject({ accessToken: expect.any(String) });
      expect(metrics.increment).toHaveBeenCalledWith('auth.token_requests');
      expect(() => oauth2RefreshGrant({ tokenUrl: 'http://auth.example.com/oauth/token' })).toThrow(TypeError);
    });

    it('RetryBackoffConfig', () => {
      const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

      const twice = retryBackoff({ maxRetries: 2 });
      const slowStart = retryBackoff({ baseDelay: 1_000 });
      const capped = retryBackoff({ maxDelay: 60_000 });
      const exact = retryBackoff({ jitter: false });
      const halfway = retryBackoff({ random: () => 0.5 });
      const ignoreServer = retryBackoff({ retryAfter: false });
      const alsoConflicts = retryBackoff({ shouldRetry: (error) => isTransientError(error) || (error instanceof HttpError && error.status === 409) });
      const logged = retryBackoff({ onRetry: (error, attempt, delay) => logger.warn(`retry ${attempt} in ${delay} ms`, error) });
      const virtualRetry = retryBackoff({ scheduler: testScheduler });

      for (const op of [twice, slowStart, capped, exact, halfway, ignoreServer, alsoConflicts, logged, virtualRetry]) expect(typeof op).toBe('function');
      expect(() => retryBackoff({ maxRetries: -1 })).toThrow(RangeError);
    });
  });
});

/* ------------------------------------------------------------------------------------------ */
/* docs/how-refresh-works.md                                                                  */
/* ------------------------------------------------------------------------------------------ */

describe('docs/how-refresh-works.md', () => {
  const hwServer = setupServer();
  let fake: FakeAuthorizationServer;

  beforeAll(() => hwServer.listen({ onUnhandledRequest: 'error' }));
  beforeEach(() => {
    fake = createFakeAuthorizationServer({ apiPrefix: '/v1/', tokenDelay: 10 });
    hwServer.use(
      ...createOAuth2Handlers({ http, server: fake, origin: 'https://auth.example.com' }),
      ...createOAuth2Handlers({ http, server: fake, origin: 'https://api.example.com' }),
    );
  });
  afterEach(() => hwServer.resetHandlers());
  afterAll(() => hwServer.close());

  function signedIn(): TokenSession {
    const { accessToken, refreshToken } = fake.signIn('ada');
    return createTokenSession({
      tokens: { accessToken, refreshToken },
      refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' }),
    });
  }

  it('shares one session between sessions of one process with shareInMemory()', async () => {
    const tokenUrl = 'https://auth.example.com/oauth/token';
    const { accessToken, refreshToken } = fake.signIn('ada');
    const first = createTokenSession({ tokens: { accessToken, refreshToken }, refresh: oauth2RefreshGrant({ tokenUrl }), share: shared });
    const session = createTokenSession({ refresh: oauth2RefreshGrant({ tokenUrl }), share: shareInMemory() });
    session.dispose();
    const second = createTokenSession({ refresh: oauth2RefreshGrant({ tokenUrl }), share: shared });
    fake.expireAccessTokens();

    const apis = [first, second].map((s) => createHttpClient({ baseUrl: 'https://api.example.com/v1', session: s, retry: false }));
    await Promise.all(apis.flatMap((api) => [1, 2, 3].map((i) => lastValueFrom(api.get(`/widgets/${i}`)))));

    expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0 });
    expect(second.state.tokens?.refreshToken).toBe(fake.issuedRefreshTokens.at(-1));
    first.dispose();
    second.dispose();
  });
  const shared = shareInMemory();

  it('plugs a store of your own into the seams (a row per user, fenced by generation)', async () => {
    const table = new Map<string, SessionState>(); // stands for a table with one row per user
    const notices = new Subject<SessionState>(); // stands for LISTEN/NOTIFY
    const rowStore = (id: string): TokenStore => ({
      read: async () => table.get(id) ?? null,
      write: async (next, expected) => {
        // One atomic statement in a real database.
        if ((table.get(id)?.generation ?? 0) === expected) {
          table.set(id, next);
          queueMicrotask(() => notices.next(next));
        }
        return table.get(id)!;
      },
      changes$: notices.asObservable(),
    });

    const { lock } = shareInMemory(); // use a lock that spans your members: advisory locks, Redis, Web Locks
    const sessionFor = (tokens?: { accessToken: string; refreshToken: string }) =>
      createTokenSession({
        tokens,
        refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' }),
        share: shareStore(rowStore('ada'), lock),
      });

    const issued = fake.signIn('ada');
    const a = sessionFor({ accessToken: issued.accessToken, refreshToken: issued.refreshToken });
    await vi.waitFor(() => expect(table.get('ada')?.generation).toBe(1));
    const b = sessionFor(); // starts from the row
    fake.expireAccessTokens();
    const apis = [a, b].map((s) => createHttpClient({ baseUrl: 'https://api.example.com/v1', session: s, retry: false }));
    await Promise.all(apis.flatMap((api) => [1, 2, 3].map((i) => lastValueFrom(api.get(`/widgets/${i}`)))));

    expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0 });
    expect(table.get('ada')).toMatchObject({ generation: 2, change: 'refresh' });
    await vi.waitFor(() => expect(a.state.generation).toBe(2));
    expect(b.state.tokens).toEqual(a.state.tokens);
    a.dispose();
    b.dispose();
  });

  it('authorizes your own transport with authorize()', async () => {
    const session = signedIn();
    fake.expireAccessTokens();

    const url = 'https://api.example.com/v1/me';
    const me$ = authorize(session, (accessToken) =>
      fromFetch(url, {
        headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
        selector: async (response) => {
          if (!response.ok) throw new HttpError({ method: 'GET', url, status: response.status, headers: response.headers });
          return (await response.json()) as { sub: string };
        },
      }),
    );

    await expect(firstValueFrom(me$)).resolves.toMatchObject({ sub: 'ada' });
    expect(fake.stats).toMatchObject({ tokenRequests: 1, apiUnauthorized: 1 });
    session.dispose();
  });

  it('reports to monitoring through events$', async () => {
    const session = signedIn();

    session.events$.subscribe((event) => {
      switch (event.type) {
        case 'refresh-succeeded':
          metrics.increment('auth.refresh.ok');
          break;
        case 'refresh-failed':
          metrics.increment('auth.refresh.failed', { transient: event.error.transient });
          break;
        case 'session-revoked':
          metrics.increment('auth.session.revoked');
          break;
        case 'request-retried':
          metrics.increment('http.retry', { reason: event.reason });
          break;
      }
    });

    fake.expireAccessTokens();
    await lastValueFrom(createHttpClient({ baseUrl: 'https://api.example.com/v1', session }).get('/me'));
    expect(metrics.increment.mock.calls).toEqual([['auth.refresh.ok'], ['http.retry', { reason: 'unauthorized' }]]);
    session.dispose();
  });
});

/* ------------------------------------------------------------------------------------------ */
/* docs/retries-and-errors.md                                                                 */
/* ------------------------------------------------------------------------------------------ */

describe('docs/retries-and-errors.md', () => {
  const reServer = setupServer();
  let fake: FakeAuthorizationServer;
  let api: RxHttpClient;
  let session: TokenSession;

  interface User {
    id: number;
    name: string;
  }
  interface Report {
    id: number;
  }
  interface ValidationProblem {
    errors: Record<string, string>;
  }
  const order = { sku: 'tea-7', quantity: 2 };
  const draft = { title: 'Notes' };

  beforeAll(() => reServer.listen({ onUnhandledRequest: 'error' }));
  beforeEach(() => {
    fake = createFakeAuthorizationServer({ apiPrefix: '/v1/' });
    reServer.use(
      ...createOAuth2Handlers({ http, server: fake, origin: 'https://auth.example.com' }),
      ...createOAuth2Handlers({ http, server: fake, origin: 'https://api.example.com' }),
    );
    const { accessToken, refreshToken } = fake.signIn('ada');
    session = createTokenSession({
      tokens: { accessToken, refreshToken },
      refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' }),
    });
    api = createHttpClient({ baseUrl: 'https://api.example.com/v1', session });
  });
  afterEach(() => {
    session.dispose();
    reServer.resetHandlers();
  });
  afterAll(() => reServer.close());

  /** Answers `path` with each of `answers` in turn, the last one from then on. */
  function answers(method: 'get' | 'post' | 'put', path: string, ...responses: (() => Response)[]) {
    let calls = 0;
    reServer.use(http[method](`https://api.example.com/v1${path}`, () => responses[Math.min(calls++, responses.length - 1)]!()));
    return () => calls;
  }

  it('handles errors with instanceof', async () => {
    answers('get', '/users/7', () => HttpResponse.json({ error: 'not_found' }, { status: 404 }));

    const user$ = api.get<User>('/users/7').pipe(
      catchError((error: unknown) => {
        if (error instanceof HttpError && error.status === 404) return of(null);
        if (error instanceof TokenRevokedError) {
          router.navigate(['/sign-in']);
          return EMPTY;
        }
        return throwError(() => error);
      }),
    );

    await expect(lastValueFrom(user$)).resolves.toBeNull();
    reServer.resetHandlers();
    reServer.use(...createOAuth2Handlers({ http, server: fake, origin: 'https://auth.example.com' }), ...createOAuth2Handlers({ http, server: fake, origin: 'https://api.example.com' }));
    fake.revokeAll();
    await expect(lastValueFrom(user$, { defaultValue: 'none' })).resolves.toBe('none');
    expect(router.navigate).toHaveBeenCalledWith(['/sign-in']);
  });

  it('switches on code', () => {
    function userMessage(caught: unknown): string {
      if (!(caught instanceof RxTokenHttpError)) return 'Something went wrong.';
      const error = caught;
      switch (error.code) {
        case 'HTTP_STATUS':
          return error.status === 404 ? 'Not found.' : 'The server could not do that.';
        case 'NETWORK':
        case 'TIMEOUT':
          return 'The server cannot be reached. Try again.';
        case 'REFRESH_FAILED':
          return 'Your session could not be renewed. Try again.';
        case 'TOKEN_REVOKED':
          return 'Your session has ended. Please sign in again.';
      }
    }

    expect(userMessage(new TokenRevokedError())).toBe('Your session has ended. Please sign in again.');
    expect(userMessage(new NetworkError('GET', 'https://api.example.com/v1/x'))).toBe('The server cannot be reached. Try again.');
    expect(userMessage(new Error('bug'))).toBe('Something went wrong.');
    expect(userMessage(new HttpError({ method: 'GET', url: 'https://api.example.com/v1/x', status: 404 }))).toBe('Not found.');
  });

  it('reads the body of an HttpError', async () => {
    answers('post', '/orders', () => HttpResponse.json({ errors: { quantity: 'too many' } }, { status: 422 }));
    const showValidation = vi.fn<(problem: ValidationProblem) => void>();

    api.post('/orders', order).subscribe({
      error: (error: unknown) => {
        if (error instanceof HttpError && error.status === 422) showValidation(error.body as ValidationProblem);
      },
    });

    await vi.waitFor(() => expect(showValidation).toHaveBeenCalledWith({ errors: { quantity: 'too many' } }));
  });

  it('retries a POST only when it is marked safe to send twice', async () => {
    const placedCalls = answers('post', '/orders', () => HttpResponse.text('busy', { status: 503 }), () => HttpResponse.json({ id: 1 }, { status: 201 }));
    const searchedCalls = answers('post', '/search', () => HttpResponse.error(), () => HttpResponse.json([]));
    const plainCalls = answers('post', '/plain', () => HttpResponse.error(), () => HttpResponse.json([]));

    const placed$ = api.post('/orders', order, { headers: { 'Idempotency-Key': crypto.randomUUID() } });
    const searched$ = api.post('/search', { q: 'ada' }, { idempotent: true });

    await expect(lastValueFrom(placed$)).resolves.toEqual({ id: 1 });
    await expect(lastValueFrom(searched$)).resolves.toEqual([]);
    await expect(lastValueFrom(api.post('/plain', {}))).rejects.toBeInstanceOf(NetworkError);
    expect([placedCalls(), searchedCalls(), plainCalls()]).toEqual([2, 2, 1]);
  });

  it('builds a predicate on isTransientError', async () => {
    const calls = answers('put', '/documents/7', () => HttpResponse.json({ error: 'conflict' }, { status: 409 }), () => HttpResponse.json({ saved: true }));

    const retryConflicts = (error: unknown) => isTransientError(error) || (error instanceof HttpError && error.status === 409);
    const saved$ = api.put('/documents/7', draft, { retry: { maxRetries: 5, shouldRetry: retryConflicts } });

    await expect(lastValueFrom(saved$)).resolves.toEqual({ saved: true });
    expect(calls()).toBe(2);
  });

  it('uses retryBackoff on a request and on any observable', async () => {
    const calls = answers('get', '/reports/7', () => HttpResponse.json({ error: 'not ready' }, { status: 404 }), () => HttpResponse.json({ id: 7 }));
    let tries = 0;
    const fetchPrices = async () => {
      if (++tries === 1) throw new Error('price feed down');
      return { tea: 3 };
    };

    const report$ = api.get<Report>('/reports/7', { retry: false }).pipe(
      // The report is built in the background: 404 until it is ready.
      retryBackoff({ maxRetries: 6, baseDelay: 500, jitter: false, shouldRetry: (error) => error instanceof HttpError && error.status === 404 }),
    );

    const prices$ = defer(() => fetchPrices()).pipe(
      retryBackoff({ maxRetries: 5, shouldRetry: () => true, onRetry: (error, attempt, delay) => logger.warn(`prices: retry ${attempt} in ${delay} ms`, error) }),
    );

    await expect(lastValueFrom(report$)).resolves.toEqual({ id: 7 });
    expect(calls()).toBe(2);
    await expect(lastValueFrom(prices$)).resolves.toEqual({ tea: 3 });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/^prices: retry 1 in \d+ ms$/), new Error('price feed down'));
  });

  it('redacts credential-like query values, as the docs show', async () => {
    answers('get', '/callback', () => HttpResponse.json({ error: 'oops' }, { status: 500 }));

    const error = await lastValueFrom(api.get('/callback', { params: { code: 'c0de-from-the-idp', state: 'xyz' }, retry: false })).catch((e: unknown) => e);

    const message = 'GET https://api.example.com/v1/callback?code=***&state=xyz failed with 500 Internal Server Error';
    expect(error).toMatchObject({ message, url: 'https://api.example.com/v1/callback?code=***&state=xyz' });
    expect(read('docs/retries-and-errors.md')).toContain(message);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* docs/testing.md                                                                            */
/* ------------------------------------------------------------------------------------------ */

describe('docs/testing.md', () => {
  interface User {
    id: number;
    name: string;
  }

  function userService(api: RxHttpClient) {
    return {
      find: (id: number) => api.get<User>(`/users/${id}`),
      rename: (id: number, name: string) => api.patch<User>(`/users/${id}`, { name }),
    };
  }

  describe('userService', () => {
    let backend: TestTransport;
    let users: ReturnType<typeof userService>;

    beforeEach(() => {
      backend = createTestTransport();
      // retry: false, or a NetworkError would be retried after a real backoff wait
      users = userService(createHttpClient({ baseUrl: 'https://api.example.com/v1', transport: backend.transport, retry: false }));
    });
    afterEach(() => backend.verify()); // fails if a request was left unanswered

    it('loads a user', async () => {
      const user = firstValueFrom(users.find(7));

      const request = backend.expectOne('/v1/users/7');
      expect(request.request.method).toBe('GET');
      request.flush({ id: 7, name: 'Ada' });

      await expect(user).resolves.toEqual({ id: 7, name: 'Ada' });
    });

    it('sends the new name as JSON', async () => {
      const user = firstValueFrom(users.rename(7, 'Ada L.'));

      const request = backend.expectOne({ method: 'PATCH', url: '/v1/users/7' });
      expect(request.request.body).toBe('{"name":"Ada L."}');
      expect(request.request.headers['content-type']).toBe('application/json');
      request.flush({ id: 7, name: 'Ada L.' });

      await expect(user).resolves.toMatchObject({ name: 'Ada L.' });
    });

    it('fails with an HttpError when the server answers with a failing status', async () => {
      const user = firstValueFrom(users.find(8));
      backend.expectOne('/v1/users/8').flush({ error: 'not_found' }, { status: 404, statusText: 'Not Found' });
      await expect(user).rejects.toMatchObject({ name: 'HttpError', status: 404, body: { error: 'not_found' } });
    });

    it('fails with a NetworkError when no response comes', async () => {
      const user = firstValueFrom(users.find(9));
      backend.expectOne('/v1/users/9').error();
      await expect(user).rejects.toBeInstanceOf(NetworkError);
    });

    it('aborts the request when unsubscribed', () => {
      users.find(7).subscribe().unsubscribe();
      expect(backend.requests[0]?.cancelled).toBe(true);
    });
  });

  it('sends the token and survives a 401', async () => {
    const session = createTokenSession({
      tokens: { accessToken: 'test-access-1', refreshToken: 'test-refresh-1' },
      refresh: () => of({ accessToken: 'test-access-2' }),
    });
    const backend = createTestTransport();
    const api = createHttpClient({ baseUrl: 'https://api.example.com/v1', transport: backend.transport, session, retry: false });
    const me = firstValueFrom(api.get('/me'));

    backend.expectOne('/v1/me').flush(null, { status: 401 });
    backend.expectOne('/v1/me').flush({ name: 'Ada' });

    await expect(me).resolves.toEqual({ name: 'Ada' });
    expect(backend.requests.map((r) => r.request.headers.authorization)).toEqual(['Bearer test-access-1', 'Bearer test-access-2']);
  });

  describe('virtual time', () => {
    const ada: User = { id: 7, name: 'Ada' };

    it('retries a 503 after the backoff, in virtual time', () => {
      const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
      testScheduler.run(({ cold, expectObservable }) => {
        const backend = createTestTransport();
        let attempts = 0;
        backend.when('/v1/users/7', () =>
          ++attempts === 1 ? cold<TestResponse>('10ms r', { r: { status: 503 } }) : cold<TestResponse>('10ms (r|)', { r: { body: ada } }),
        );
        const api = createHttpClient({
          baseUrl: 'https://api.example.com/v1',
          transport: backend.transport,
          scheduler: testScheduler,
          retry: { maxRetries: 2, baseDelay: 100, jitter: false },
        });

        // 503 at 10 ms, a 100 ms wait, the second attempt from 110 ms answered at 120 ms
        expectObservable(api.get('/users/7')).toBe('120ms (u|)', { u: ada });
      });
    });

    it('refreshes once for a 401, in virtual time', () => {
      const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const tokenEndpoint = cold<TokenSet>('5ms (t|)', { t: { accessToken: 'test-access-2' } });
        const session = createTokenSession({
          tokens: { accessToken: 'test-access-1', refreshToken: 'test-refresh-1' },
          refresh: () => tokenEndpoint,
          scheduler: testScheduler,
        });
        const backend = createTestTransport();
        backend.when('/v1/me', (request) =>
          cold<TestResponse>('10ms (r|)', { r: request.headers.authorization === 'Bearer test-access-2' ? { body: ada } : { status: 401 } }),
        );
        const api = createHttpClient({ baseUrl: 'https://api.example.com/v1', transport: backend.transport, session, scheduler: testScheduler });

        // 401 at 10 ms, the refresh from 10 to 15 ms, the second attempt answered at 25 ms
        expectObservable(api.get('/me')).toBe('25ms (u|)', { u: ada });
        expectSubscriptions(tokenEndpoint.subscriptions).toBe('10ms ^----!');
      });
    });
  });

  describe('the fake authorization server with msw', () => {
    const server = setupServer();
    let fake: FakeAuthorizationServer;

    beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
    beforeEach(() => {
      fake = createFakeAuthorizationServer({ apiPrefix: '/v1/' });
      server.use(...createOAuth2Handlers({ http, server: fake, origin: 'https://api.example.test' }));
    });
    afterEach(() => server.resetHandlers());
    afterAll(() => server.close());

    function signIn() {
      const { accessToken, refreshToken, expiresAt } = fake.signIn('ada');
      const session = createTokenSession({
        tokens: { accessToken, refreshToken, expiresAt },
        refresh: oauth2RefreshGrant({ tokenUrl: 'https://api.example.test/oauth/token' }),
      });
      const api = createHttpClient({ baseUrl: 'https://api.example.test/v1', session });
      return { session, api };
    }

    it('makes one refresh for six 401s', async () => {
      const { session, api } = signIn();
      fake.expireAccessTokens(); // the server rejects the tokens before their expiresAt

      const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => firstValueFrom(api.get(`/widgets/${i}`))));

      expect(results).toHaveLength(6);
      expect(fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0 });
      expect(session.state.tokens?.refreshToken).toBe(fake.issuedRefreshTokens.at(-1));
      session.dispose();
    });

    it('ends the session when the server revokes it', async () => {
      const { session, api } = signIn();
      fake.revokeAll();

      await expect(firstValueFrom(api.get('/me'))).rejects.toBeInstanceOf(TokenRevokedError);
      expect(session.state.revoked).toBe(true);
      session.dispose();
    });

    it('retries a failing token endpoint', async () => {
      const { session, api } = signIn();
      fake.expireAccessTokens();
      fake.failTokenRequests(1, 'server-error');

      await expect(firstValueFrom(api.get('/me'))).resolves.toMatchObject({ ok: true, sub: 'ada' });
      expect(fake.stats.tokenRequests).toBe(2);
      session.dispose();
    });

    it('works without msw, as the fetch of the client and the grant', async () => {
      const model = createFakeAuthorizationServer();
      const fakeFetch: typeof fetch = (input, init) => model.handle(new Request(input, init));
      const issued = model.signIn();
      const direct = createTokenSession({
        tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken },
        refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.test/oauth/token', fetch: fakeFetch }),
      });
      const directApi = createHttpClient({ baseUrl: 'https://auth.example.test/api', session: direct, fetch: fakeFetch });

      model.expireAccessTokens();
      await expect(firstValueFrom(directApi.get('/me'))).resolves.toMatchObject({ ok: true });
      expect(model.stats).toMatchObject({ tokenRequests: 1, apiUnauthorized: 1 });
      direct.dispose();
    });

    it('fails the request with a transient TokenRefreshError after the refresh retries', async () => {
      vi.useFakeTimers(); // vitest fakes setTimeout, setInterval and Date, not queueMicrotask or nextTick
      const { session, api } = signIn();
      fake.expireAccessTokens();
      fake.failTokenRequests(4, 'server-error'); // the first try and the 3 retries

      const failed = expect(firstValueFrom(api.get('/me'))).rejects.toMatchObject({ name: 'TokenRefreshError', transient: true });
      await vi.advanceTimersByTimeAsync(10_000); // more than the waits: at most 300 + 600 + 1,200 ms
      await failed;

      session.dispose();
      vi.useRealTimers();
    });
  });
});
