import type { HandshakeFailureReason } from '../../ports/tls-observer';

/** The counted reason of a `tlsClientError` (from OpenSSL's reason text or node's error code). */
export function handshakeFailureReason(error: NodeJS.ErrnoException): HandshakeFailureReason {
  const code = error.code ?? '';
  const text = `${code} ${error.message}`.toLowerCase();
  if (code === 'ERR_PROX_UNKNOWN_SERVER_NAME') return 'unknown_server_name';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE' || text.includes('socket disconnected') || text.includes('unexpected eof')) return 'client_closed';
  if (text.includes('no application protocol') || text.includes('no_application_protocol')) return 'no_application_protocol';
  if (text.includes('unsupported protocol') || text.includes('version too low') || text.includes('wrong version') || text.includes('protocol version')) return 'protocol_version';
  if (text.includes('no shared cipher') || text.includes('no suitable signature') || text.includes('no shared signature')) return 'no_shared_cipher';
  if (text.includes('http request') || text.includes('wrong_version_number') || text.includes('record') || text.includes('packet length')) return 'bad_client_hello';
  return 'other';
}
