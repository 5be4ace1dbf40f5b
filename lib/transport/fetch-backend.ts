/**
 * @deprecated Transitional: `lib/oauth2/endpoint-request.ts` still imports it. Delete this file
 * once it imports `fetchTransport` from `./fetch-transport.js`.
 */
export { fetchTransport as fetchBackend } from './fetch-transport.js';
