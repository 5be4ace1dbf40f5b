import { HttpContextToken } from '@angular/common/http';

/**
 * Set it to `true` on a request that {@link tokenRefreshInterceptor} must leave alone: no
 * token, no refresh after a 401, no retry. For public endpoints of an allowed origin, or
 * requests that carry credentials of their own.
 *
 * @example
 * http.get('https://api.example.com/status', { context: new HttpContext().set(SKIP_TOKEN_REFRESH, true) })
 */
export const SKIP_TOKEN_REFRESH = new HttpContextToken<boolean>(() => false);
