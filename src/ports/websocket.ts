import type { UpstreamClient, UpstreamFailure, UpstreamRequest } from './upstream-client';

/** Which way a WebSocket message went through prox. */
export type WebSocketDirection = 'client_to_upstream' | 'upstream_to_client';

/** Who ended a WebSocket session first. */
export type WebSocketCloser = 'client' | 'upstream' | 'proxy';

export interface WebSocketLimits {
  /** A larger message (its fragments together), either way, closes the session with 1009. */
  readonly maxMessageBytes: number;
  /** No frame either way for this long closes the session with 1001. */
  readonly idleTimeoutMs: number;
}

/** What the core decided for an upgrade request; the inbound engine carries it out. */
export interface WebSocketPlan {
  /**
   * The upgrade request for the chosen backend: GET with the client's Sec-WebSocket-* headers;
   * the engine's upstream client adds `Connection: upgrade` and `Upgrade: websocket` itself.
   */
  readonly upstream: UpstreamRequest;
  /** Added to the 101 and to a relayed refusal (request id first). */
  readonly answerHeaders: readonly string[];
  readonly limits: WebSocketLimits;
}

/** Told by the engine what became of an upgrade, then of the session; each call at most once but `message`. */
export interface WebSocketEvents {
  /** No answer from the upstream: nothing went to the client, the core answers (502/504) through the exchange. */
  handshakeFailed(failure: UpstreamFailure): void;
  /** The upstream answered another status: the engine relayed it (status, headers, body) and the exchange is over. */
  refused(status: number): void;
  /** The client went away before the upstream answered: the engine aborted the upstream call, nothing else comes. */
  clientLeft(): void;
  /** The 101 went to the client: the session runs. */
  opened(): void;
  /** One whole message relayed (`bytes`: its payload). */
  message(direction: WebSocketDirection, bytes: number): void;
  /** The session is over (called once, after `opened`): the close code (1005 none given, 1006 cut) and who closed first. */
  closed(code: number, by: WebSocketCloser): void;
}

export interface WebSocketSession {
  /** Close both sides with this code (e.g. 1001 at shutdown); ends within 2 s whatever the peers do. */
  close(code: number, reason: string): void;
}

/**
 * The upgrade capability of an exchange whose request asks for a WebSocket. Engines differ in
 * how: node:http tunnels the bytes after the upstream's 101 (through `upstreams.upgrade`),
 * µWebSockets terminates the WebSocket and relays messages to its own upstream WebSocket.
 */
export interface WebSocketUpgrade {
  proxy(plan: WebSocketPlan, upstreams: UpstreamClient, events: WebSocketEvents): WebSocketSession;
}
