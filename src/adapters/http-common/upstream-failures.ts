import { BodyTimeoutError, BodyTooLargeError, ClientBodyAbortedError } from '../../ports/body-errors';
import type { UpstreamFailureKind } from '../../ports/upstream-client';

const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/** OpenSSL verification results, as Node reports them in `error.code`. */
const TLS_VERIFY = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
]);

/** Whether the error is a failed TLS handshake or certificate check (not a TCP failure). */
export function isTlsFailure(code: string): boolean {
  return TLS_VERIFY.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_');
}

/** Maps an upstream client's (prox's own or undici's) or a socket's error to the port's failure kinds, by stable error code. */
export function classifyUpstreamError(error: Error & { code?: string }): UpstreamFailureKind {
  if (error instanceof BodyTooLargeError) return 'request_too_large';
  if (error instanceof ClientBodyAbortedError) return 'request_body';
  if (error instanceof BodyTimeoutError) return 'request_body_timeout';
  const code = error.code ?? '';
  if (REFUSED.has(code)) return 'connect_refused';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect_timeout';
  if (isTlsFailure(code)) return 'tls';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'response_timeout';
  if (RESET.has(code)) return 'reset';
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return 'request_body';
  if (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO') return 'protocol';
  return 'other';
}
