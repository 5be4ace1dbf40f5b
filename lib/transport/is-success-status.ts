/**
 * The one 2xx decision of the library: whether a response status means success. The client,
 * the body reader and the OAuth2 endpoints all ask here.
 */
export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}
