/** The token server's counters that the demos explain. */
export interface TokenCallCounts {
  /** Calls of the token endpoint. */
  readonly tokenRequests: number;
  /** Calls that got a new token pair. */
  readonly refreshGrants: number;
  /** Calls that presented a refresh token the server had already rotated out. */
  readonly reuseDetected: number;
}

/**
 * The token-endpoint calls of one run, in words a newcomer can follow: how many got new tokens,
 * how many presented a refresh token that was already spent (which makes a server with reuse
 * detection revoke the whole session), and how many came after that and were refused.
 *
 * @example
 * explainTokenCalls({ tokenRequests: 6, refreshGrants: 1, reuseDetected: 4 });
 * // ['1 got a new token pair; the server rotated the refresh token, so the one the others held was spent.', …]
 */
export function explainTokenCalls(counts: TokenCallCounts): string[] {
  const { tokenRequests, refreshGrants, reuseDetected } = counts;
  const refused = Math.max(0, tokenRequests - refreshGrants - reuseDetected);
  const lines: string[] = [];
  if (refreshGrants > 0) {
    lines.push(
      `${count(refreshGrants)} got a new token pair; the server rotated the refresh token, so the one the others held was spent.`,
    );
  }
  if (reuseDetected > 0) {
    lines.push(
      `${count(reuseDetected)} presented that spent refresh token: to the server this looks like a stolen token,` +
        ` so it revoked the whole session, new tokens included (reuse detection, RFC 9700).`,
    );
  }
  if (refused > 0) {
    lines.push(
      `${count(refused)} came after the revocation${refreshGrants > 0 ? ', with the newest refresh token,' : ''}` +
        ` and ${refused === 1 ? 'was' : 'were'} refused: the session was already over.`,
    );
  }
  return lines;
}

/** `1,000` rather than `1000`. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
