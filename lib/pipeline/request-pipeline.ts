import { Observable } from 'rxjs';
import { passThrough } from '../util/subscribe-checked.js';
import type { PipelineRequest, RequestPipelineConfig, SendAttempt } from './pipeline-request.js';
import { createRequestRunner } from './request-run.js';

export type { PipelineRequest, RequestPipelineConfig, SendAttempt } from './pipeline-request.js';

/** Runs one request through the steps every adapter shares. */
export type RequestPipeline = <T>(request: PipelineRequest, send: SendAttempt<T>) => Observable<T>;

/**
 * The ONE request pipeline, shared by `createHttpClient` and the Angular interceptor:
 * origin allow-list -> `Authorization: Bearer` -> `authorize` (one refresh at most per
 * request, DESIGN rule 7, however many transient retries it makes) -> transient retry with
 * backoff -> a stop on the session's revocation (`TokenAccess.revoked$`) -> the whole-request
 * deadline (rule 13). Retries are reported on the session's `events$` through
 * `TokenAccess.report`. The steps are in {@link createRequestRunner}.
 */
export function createRequestPipeline(config: RequestPipelineConfig): RequestPipeline {
  const run = createRequestRunner(config);
  return <T>(request: PipelineRequest, send: SendAttempt<T>): Observable<T> => new Observable<T>((subscriber) => run(request, send, passThrough, subscriber));
}
