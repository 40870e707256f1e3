import type { RequestObserver, RequestRecord, UpstreamOutcome } from '../ports/request-observer';
import type { WebSocketDirection } from '../ports/websocket';

/**
 * One observer that tells several (metrics, access log). Runs for every request: indexed loops,
 * since `for...of` allocates an iterator per call.
 */
export function fanOut(...observers: RequestObserver[]): RequestObserver {
  return {
    requestCompleted(record: RequestRecord) {
      for (let i = 0; i < observers.length; i += 1) observers[i].requestCompleted(record);
    },
    upstreamAttempted(route: string, backend: string, outcome: UpstreamOutcome, durationMs: number) {
      for (let i = 0; i < observers.length; i += 1) observers[i].upstreamAttempted(route, backend, outcome, durationMs);
    },
    retried(route: string) {
      for (let i = 0; i < observers.length; i += 1) observers[i].retried(route);
    },
    webSocketOpened(route: string) {
      for (let i = 0; i < observers.length; i += 1) observers[i].webSocketOpened?.(route);
    },
    webSocketMessage(route: string, direction: WebSocketDirection, bytes: number) {
      for (let i = 0; i < observers.length; i += 1) observers[i].webSocketMessage?.(route, direction, bytes);
    },
    webSocketClosed(route: string, closeCode: number) {
      for (let i = 0; i < observers.length; i += 1) observers[i].webSocketClosed?.(route, closeCode);
    },
  };
}
