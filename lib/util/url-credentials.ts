/**
 * Throws a TypeError when `url` carries userinfo (`https://user:secret@host`). fetch refuses such
 * URLs with a message that quotes them, so they are refused first, without quoting. `instead`
 * says where the credentials belong.
 */
export function refuseUrlCredentials(url: URL, what: string, instead = 'send them in a header'): void {
  if (url.username || url.password) {
    throw new TypeError(`${what} must not contain credentials (user:password@): ${instead} instead`);
  }
}
