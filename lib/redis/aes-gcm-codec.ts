import type { CodecContext, TokenCodec } from './token-codec.js';

const VERSION = 'a1.';
const IV_BYTES = 12;

/**
 * A {@link TokenCodec} that encrypts with AES-256-GCM on WebCrypto (`globalThis.crypto.subtle`),
 * with a fresh 96-bit IV per write and the Redis key as additional authenticated data, so a
 * value copied to another user's key does not decrypt. `key` is a 32-byte secret the app keeps
 * outside Redis (a KMS, an env secret), as bytes or as an AES-GCM `CryptoKey`.
 *
 * @example
 * const codec = aesGcmCodec(Buffer.from(process.env.TOKEN_KEY!, 'base64')); // 32 bytes
 * createTokenSession({ refresh, share: shareThroughRedis({ client, key: `tokens:${userId}`, codec }) });
 */
export function aesGcmCodec(key: Uint8Array | CryptoKey): TokenCodec {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new TypeError('aesGcmCodec: WebCrypto (globalThis.crypto.subtle) is not available');
  if (key instanceof Uint8Array && key.byteLength !== 32) {
    throw new TypeError(`aesGcmCodec: the key must be 32 bytes (AES-256), got ${key.byteLength}`);
  }
  const cryptoKey: Promise<CryptoKey> =
    key instanceof Uint8Array ? subtle.importKey('raw', copy(key), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']) : Promise.resolve(key);
  const encoder = new TextEncoder();
  const aad = (context: CodecContext) => encoder.encode(`rx-token-http/redis:${context.key}`);

  return {
    async encrypt(plaintext, context) {
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(context) }, await cryptoKey, encoder.encode(plaintext)));
      const out = new Uint8Array(IV_BYTES + sealed.byteLength);
      out.set(iv, 0);
      out.set(sealed, IV_BYTES);
      return VERSION + toBase64(out);
    },
    async decrypt(stored, context) {
      if (!stored.startsWith(VERSION)) throw new Error('aesGcmCodec: the stored value is not AES-GCM encrypted by this codec');
      const bytes = fromBase64(stored.slice(VERSION.length));
      if (bytes.byteLength <= IV_BYTES + 16) throw new Error('aesGcmCodec: the stored value is truncated');
      const plain = await subtle.decrypt(
        { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: aad(context) },
        await cryptoKey,
        bytes.subarray(IV_BYTES),
      );
      return new TextDecoder().decode(plain);
    },
  };
}

// btoa/atob rather than Buffer: the package builds without Node types.
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function copy(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}
