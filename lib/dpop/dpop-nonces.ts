/**
 * Which server a nonce is from. RFC 9449 keeps them apart: the authorization server's nonces
 * (§8) go in proofs to it, a resource server's (§9) in proofs to that resource server, even when
 * both answer on one origin.
 */
export type DpopServer = 'authorization' | 'resource';

/** What the nonce memory reads of a response: its headers (a Fetch `Headers`, or anything with `get`). */
export interface HeadersLike {
  get(name: string): string | null;
}

/**
 * The nonces a DPoP client has been given, per server kind and origin: the latest `DPoP-Nonce`
 * each server sent, to put in the next proof to it.
 */
export interface DpopNonces {
  /** The latest nonce from `server` at the origin of `url`, or undefined when none is known. */
  nonceFor(server: DpopServer, url: string | URL): string | undefined;
  /**
   * Reads the `DPoP-Nonce` header of a response from `url`, an error or a success alike (a server
   * may rotate its nonce on any answer), and keeps it for that server and origin. Returns the
   * nonce when the response carried a valid one; a malformed one is ignored.
   */
  learn(server: DpopServer, url: string | URL, headers: HeadersLike): string | undefined;
  /** Forgets every nonce (a sign-out, a new key). */
  clear(): void;
}

const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Nonces are short (oidc-provider's are 43 characters); a longer value is not kept. */
const MAX_NONCE_LENGTH = 1024;

/**
 * A small memory of DPoP nonces (RFC 9449 §8, §9), one per server kind and origin. Plain memory,
 * per process or tab: a nonce is not a secret and a stale one costs one `use_dpop_nonce` answer.
 *
 * @example
 * const key = await createDpopKey();
 * const nonces = createDpopNonces();
 * const proof = await createDpopProof(key, { method: 'POST', url: tokenUrl, nonce: nonces.nonceFor('authorization', tokenUrl) });
 * const answer = await fetch(tokenUrl, { method: 'POST', headers: { dpop: proof }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }) });
 * nonces.learn('authorization', tokenUrl, answer.headers); // the nonce for the next proof, if it sent one
 */
export function createDpopNonces(): DpopNonces {
  const nonces = new Map<string, string>();
  const keyOf = (server: DpopServer, url: string | URL): string => {
    if (server !== 'authorization' && server !== 'resource') throw new TypeError("DpopNonces: server must be 'authorization' or 'resource'");
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw new TypeError('DpopNonces: url must be an absolute URL');
    }
    return `${server} ${origin}`;
  };
  return {
    nonceFor: (server, url) => nonces.get(keyOf(server, url)),
    learn: (server, url, headers) => {
      const key = keyOf(server, url);
      const nonce = headers.get('dpop-nonce')?.trim();
      if (nonce === undefined || nonce.length > MAX_NONCE_LENGTH || !NONCE.test(nonce)) return undefined;
      nonces.set(key, nonce);
      return nonce;
    },
    clear: () => nonces.clear(),
  };
}
