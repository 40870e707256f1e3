import type { RequestObserver, RequestRecord, UpstreamOutcome } from '../ports/request-observer';

/** One observer that tells several (metrics, access log). */
export function fanOut(...observers: RequestObserver[]): RequestObserver {
  return {
    requestCompleted(record: RequestRecord) {
      for (const observer of observers) observer.requestCompleted(record);
    },
    upstreamAttempted(route: string, backend: string, outcome: UpstreamOutcome, durationMs: number) {
      for (const observer of observers) observer.upstreamAttempted(route, backend, outcome, durationMs);
    },
    retried(route: string) {
      for (const observer of observers) observer.retried(route);
    },
  };
}
