import type { RequestObserver, RequestRecord, UpstreamOutcome } from '../ports/request-observer';
import type { WebSocketDirection } from '../ports/websocket';

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
    webSocketOpened(route: string) {
      for (const observer of observers) observer.webSocketOpened?.(route);
    },
    webSocketMessage(route: string, direction: WebSocketDirection, bytes: number) {
      for (const observer of observers) observer.webSocketMessage?.(route, direction, bytes);
    },
    webSocketClosed(route: string, closeCode: number) {
      for (const observer of observers) observer.webSocketClosed?.(route, closeCode);
    },
  };
}
