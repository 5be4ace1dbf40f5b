// Bundled by esbuild into the DPoP test page (see dpop-servers.ts): the library's session, tabs
// and DPoP entries plus a small harness that spec/tabs/dpop-tabs.spec.ts drives with
// page.evaluate. Runs in Chromium, never in node.
import { firstValueFrom } from 'rxjs';
import { createDpopKeyStore, createDpopProof, dpopBinding } from '../../../lib/dpop/index.js';
import { createHttpClient, createTokenSession, oauth2RefreshGrant, type SessionEvent, type TokenSession, type TokenSet } from '../../../lib/index.js';
import { shareAcrossTabs } from '../../../lib/tabs/index.js';

/** How a page starts its DPoP session: every tab of one `shareName` shares it. */
export interface DpopStartOptions {
  readonly tokenUrl: string;
  readonly clientId: string;
  /** The resource server's origin: the API client's `baseUrl`. */
  readonly apiUrl: string;
  readonly shareName: string;
  /** The id of the key in the page's key store (`createDpopKeyStore({ id })`). */
  readonly keyId: string;
  /** The signed-in tokens: given to one tab, the others start from the shared state. */
  readonly tokens?: TokenSet | null;
}

/** What the page can tell of its key: public parts only, and whether the private one got out. */
export interface KeyReport {
  readonly thumbprint: string;
  readonly algorithm: string;
  readonly isCryptoKey: boolean;
  readonly extractable: boolean;
  readonly type: string;
  /** `crypto.subtle.exportKey`'s answer for the private key in each format: the error's name, or `exported`. */
  readonly exports: Record<'jwk' | 'pkcs8', string>;
}

/** One request's outcome, made of plain data for page.evaluate. */
export interface Outcome {
  readonly ok: boolean;
  readonly error?: string;
}

const harness = {
  session: undefined as TokenSession | undefined,
  api: undefined as ReturnType<typeof createHttpClient> | undefined,
  events: [] as SessionEvent['type'][],

  /** Loads (or makes) the stored key of `keyId` and says what can be seen of it. */
  async key(keyId: string): Promise<KeyReport> {
    const key = await createDpopKeyStore({ id: keyId }).load();
    const tryExport = (format: 'jwk' | 'pkcs8') =>
      crypto.subtle.exportKey(format, key.privateKey).then(
        () => 'exported',
        (error: unknown) => (error instanceof Error ? error.name : String(error)),
      );
    return {
      thumbprint: key.thumbprint,
      algorithm: key.algorithm,
      isCryptoKey: key.privateKey instanceof CryptoKey,
      extractable: key.privateKey.extractable,
      type: key.privateKey.type,
      exports: { jwk: await tryExport('jwk'), pkcs8: await tryExport('pkcs8') },
    };
  },

  /** A proof of the stored key for the code exchange (POST `url`), made in the page: the key never leaves it. */
  async prove(keyId: string, url: string, nonce: string | undefined): Promise<string> {
    const key = await createDpopKeyStore({ id: keyId }).load({ create: false });
    return createDpopProof(key, { method: 'POST', url, ...(nonce !== undefined && { nonce }) });
  },

  /** The session of this tab: the refresh grant, the requests and the share, all with the stored key's binding. */
  start(options: DpopStartOptions): void {
    const dpop = dpopBinding({ key: createDpopKeyStore({ id: options.keyId }).load() });
    const session = createTokenSession({
      tokens: options.tokens ?? null,
      refresh: oauth2RefreshGrant({ tokenUrl: options.tokenUrl, clientId: options.clientId, dpop }),
      share: shareAcrossTabs({ name: options.shareName }),
      dpop,
    });
    session.events$.subscribe((event) => harness.events.push(event.type));
    harness.session = session;
    harness.api = createHttpClient({ baseUrl: options.apiUrl, session, retry: false, timeout: 15_000 });
  },

  /** Fires `count` GETs at once and waits for all. */
  burst(count: number, path: string): Promise<Outcome[]> {
    const api = harness.api!;
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        firstValueFrom(api.get(`${path}/${i}`)).then(
          (): Outcome => ({ ok: true }),
          (error: unknown): Outcome => ({ ok: false, error: error instanceof Error ? `${error.name} ${error.message}` : String(error) }),
        ),
      ),
    );
  },

  /** The types of the session's events so far, in order. */
  eventTypes(): SessionEvent['type'][] {
    return harness.events;
  },

  state(): { generation: number; revoked: boolean; refreshToken: string | null; expiresAt: number | null; tokenType: string | null } {
    const { generation, revoked, tokens } = harness.session!.state;
    return { generation, revoked, refreshToken: tokens?.refreshToken ?? null, expiresAt: tokens?.expiresAt ?? null, tokenType: tokens?.tokenType ?? null };
  },
};

(globalThis as { dpopTabs?: typeof harness }).dpopTabs = harness;

export type DpopPageHarness = typeof harness;
