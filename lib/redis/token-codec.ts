/** Where a value is stored, given to a {@link TokenCodec} (e.g. as additional authenticated data). */
export interface CodecContext {
  /** The app's `key` passed to `shareThroughRedis`, e.g. `tokens:42`. */
  readonly key: string;
}

/**
 * Turns the JSON of a session state into what Redis stores, and back: encryption at rest.
 * Both hooks may be async. `decrypt` must throw on a value it cannot read (wrong key, tampering):
 * the store then fails with `RedisSharedStateError` (operation `'decode'`) instead of guessing.
 */
export interface TokenCodec {
  encrypt(plaintext: string, context: CodecContext): string | Promise<string>;
  decrypt(stored: string, context: CodecContext): string | Promise<string>;
}
