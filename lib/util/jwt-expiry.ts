/**
 * The `exp` claim of a JWT access token, in epoch milliseconds, or `undefined` when the token
 * is opaque or has no numeric `exp`. The signature is not checked: the value only schedules a
 * refresh, it grants nothing.
 */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const exp: unknown = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
