/** The client credentials the server expects; `undefined` fields are not checked. */
export interface ExpectedClient {
  clientId: string | undefined;
  clientSecret: string | undefined;
}

/** RFC 6749 §2.3.1: the client authenticates with HTTP Basic or with `client_id`/`client_secret` form fields. */
export function isClientAuthenticated(headers: Headers, form: URLSearchParams, expected: ExpectedClient): boolean {
  if (expected.clientId === undefined && expected.clientSecret === undefined) return true;
  const basic = parseBasic(headers.get('authorization'));
  const id = basic?.id ?? form.get('client_id');
  const secret = basic?.secret ?? form.get('client_secret');
  return (
    (expected.clientId === undefined || id === expected.clientId) &&
    (expected.clientSecret === undefined || secret === expected.clientSecret)
  );
}

/** RFC 6749 §5.2: a client that tried the Authorization header gets a challenge back with its 401. */
export function clientChallenge(headers: Headers): Record<string, string> | undefined {
  return headers.has('authorization') ? { 'WWW-Authenticate': 'Basic realm="fake"' } : undefined;
}

/** True when the request body is declared `application/x-www-form-urlencoded`, as RFC 6749 §4.1.3 requires. */
export function isFormEncoded(headers: Headers): boolean {
  const type = headers.get('content-type') ?? '';
  return type.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

function parseBasic(header: string | null): { id: string; secret: string } | undefined {
  const encoded = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (encoded === undefined) return undefined;
  try {
    const decoded = atob(encoded);
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before the Basic encoding.
    const formDecode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}
