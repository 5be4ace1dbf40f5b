// Query parameters that carry credentials in the wild (OAuth implicit flow, signed links):
// their values never reach an error message or an event.
const SENSITIVE = /^(access_token|refresh_token|id_token|token|code|client_secret|password|api_key|apikey|key|sig|signature)$/i;

/** The URL with userinfo and the values of credential-like query parameters replaced by `***`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/([?&][^=&#]*(?:token|secret|password|code|key)[^=&#]*=)[^&#]*/gi, '$1***');
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
