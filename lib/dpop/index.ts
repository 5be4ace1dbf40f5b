/* rx-token-http/dpop: DPoP's building blocks (RFC 9449): keys, proofs, nonces. */
export { createDpopKey, importDpopKey, chooseDpopAlgorithm } from './dpop-key.js';
export type { DpopKey, DpopKeyOptions } from './dpop-key.js';
export { createDpopKeyStore } from './dpop-key-store.js';
export type { DpopKeyStore, DpopKeyStoreConfig } from './dpop-key-store.js';
export { DpopKeyError } from './dpop-key-error.js';
export type { DpopKeyFailure } from './dpop-key-error.js';
export { jwkThumbprint } from './jwk-thumbprint.js';
export { createDpopProof, accessTokenHash } from './dpop-proof.js';
export type { DpopProofRequest } from './dpop-proof.js';
export { createDpopNonces } from './dpop-nonces.js';
export type { DpopNonces, DpopServer, HeadersLike } from './dpop-nonces.js';
export { isNonceChallenge, isProofRefusal } from './nonce-challenge.js';
export { DpopProofError, CLOCK_SKEW_LIMIT_SECONDS } from './proof-refusal.js';
export type { DpopProofFailure, DpopProofErrorInit } from './proof-refusal.js';
export type { AnswerLike } from './nonce-challenge.js';
export type { JwsAlgorithm } from '../oauth2/jws-sign.js';
export { dpopBinding } from './dpop-binding.js';
export type { DpopBinding, DpopBindingConfig } from './dpop-binding.js';
