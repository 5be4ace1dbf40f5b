// Query parameters that carry credentials in the wild (OAuth implicit flow, signed links, API
// keys): a name that is one of these words, or ends in `_` or `-` and one of them. Their values
// never reach an error message or an event.
const SENSITIVE = /(?:^|[-_])(?:token|code|secret|password|apikey|key|sig|signature)$/i;

/** The URL with userinfo and the values of credential-like query parameters replaced by `***`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL (a relative or malformed one): the same names, found in the text.
    return url.replace(/([?&])([^=&#]*)=[^&#]*/g, (pair, separator: string, name: string) => (SENSITIVE.test(name) ? `${separator}${name}=***` : pair));
  }
  if (parsed.username || parsed.password) {
    parsed.username = '***';
    parsed.password = '';
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SENSITIVE.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed.toString();
}
