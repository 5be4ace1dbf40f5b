import { HttpError } from '../errors/http-error.js';
import type { ApiRequest, ApiResponse } from './api-request.js';

/**
 * The one 2xx decision of the library: whether a response status means success. The client,
 * the body reader and the OAuth2 endpoints all ask here.
 */
export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Passes a successful response through; throws an {@link HttpError} for a failing status. */
export function checkStatus<T>(request: Pick<ApiRequest, 'method' | 'url'>, response: ApiResponse<T>): ApiResponse<T> {
  if (isSuccessStatus(response.status)) return response;
  throw new HttpError({
    method: request.method,
    url: request.url,
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: response.body,
    responseUrl: response.url,
  });
}
