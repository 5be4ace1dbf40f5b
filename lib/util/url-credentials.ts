/**
 * Throws a TypeError when `url` carries userinfo (`https://user:secret@host`). fetch refuses such
 * URLs with a message that quotes them, so they are refused first, without quoting.
 */
export function refuseUrlCredentials(url: URL, what: string): void {
  if (url.username || url.password) {
    throw new TypeError(`${what} must not contain credentials (user:password@): send them in a header instead`);
  }
}
