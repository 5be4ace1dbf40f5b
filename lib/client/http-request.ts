/**
 * @deprecated Transitional, and an upward import for `lib/oauth2` (the layer check flags it):
 * delete once `lib/oauth2` imports `ApiRequest`/`ApiResponse` from `../transport/api-request.js`.
 */
export type { ApiRequest as HttpRequest, ApiResponse as HttpResponse } from '../transport/api-request.js';
