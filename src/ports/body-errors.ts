/** The request body exceeded the configured limit while streaming. */
export class BodyTooLargeError extends Error {
  readonly code = 'PROX_BODY_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
  }
}

/** The client disconnected before its request body was complete. */
export class ClientBodyAbortedError extends Error {
  readonly code = 'PROX_CLIENT_BODY_ABORTED';
  constructor() {
    super('client went away while sending the request body');
  }
}

/** No request body byte arrived for `limits.body_timeout_secs` (a slow or stalled client). */
export class BodyTimeoutError extends Error {
  readonly code = 'PROX_BODY_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`no request body bytes for ${timeoutMs / 1000} s`);
  }
}
