/**
 * The byte budget of the typical import, in ONE place: bench/bundle-size.ts reports against it
 * and scripts/ci/check-bundle-budget.ts fails CI when the import grows past it. Lower it when
 * the import shrinks; raise it only with a reason in the commit message.
 */

/** What an app with one client and one session imports: client, session, refresh grant, errors. */
export const TYPICAL_IMPORT =
  "export { createHttpClient, createTokenSession, oauth2RefreshGrant, HttpError, NetworkError, RequestTimeoutError, TokenRefreshError, TokenRevokedError } from './lib/index.ts';";

/** The most the typical import may weigh: minified by esbuild, gzip -9, rxjs external. */
export const TYPICAL_IMPORT_BUDGET_BYTES = 14_650;
