/** Why a TLS handshake failed, as counted (a small fixed set: label values never come from traffic). */
export type HandshakeFailureReason =
  | 'unknown_server_name'
  | 'no_application_protocol'
  | 'protocol_version'
  | 'no_shared_cipher'
  | 'timeout'
  | 'client_closed'
  | 'bad_client_hello'
  | 'other';

/** What the TLS listener reports: failed handshakes and the certificates it serves. */
export interface TlsObserver {
  handshakeFailed(reason: HandshakeFailureReason): void;
  /** The certificates now served (replaces the previous list); `domain` is each one's first name. */
  certificatesServed(certificates: readonly { readonly domain: string; readonly notAfterMs: number }[]): void;
}

export const TlsObserver = Symbol.for('prox.TlsObserver');

export const NO_TLS_OBSERVER: TlsObserver = {
  handshakeFailed: () => undefined,
  certificatesServed: () => undefined,
};
