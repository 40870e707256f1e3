import { execFile } from 'node:child_process';
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { once } from 'node:events';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';

export interface CurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real curl binary; never throws on curl's own failures (the exit code says). */
export function curl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '20', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `openssl s_client` with the given arguments and empty stdin (the handshake, then quit). */
export function sClient(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', ...args], { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end();
  });
}

/** The leaf certificate a TLS handshake with this SNI name (or none) gets; rejects if the handshake fails. */
export async function servedCertificate(port: number, servername: string | null, ca: Buffer): Promise<PeerCertificate> {
  const socket = tlsConnect({ host: '127.0.0.1', port, ca, ...(servername === null ? {} : { servername }), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  try {
    await once(socket, 'secureConnect');
    return socket.getPeerCertificate();
  } finally {
    socket.destroy();
  }
}

/** Node's own HTTP/2 client session (for header cases curl cannot send). */
export async function h2Session(port: number, servername: string, ca: Buffer): Promise<ClientHttp2Session> {
  const session = h2connect(`https://${servername}:${port}`, {
    createConnection: () => tlsConnect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['h2'] }),
  });
  session.on('error', () => undefined);
  await once(session, 'connect');
  return session;
}

export async function h2Request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const stream = session.request(headers, { endStream: body === undefined });
  if (body !== undefined) stream.end(body);
  const [responseHeaders] = (await once(stream, 'response')) as [IncomingHttpHeaders];
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  await once(stream, 'end');
  return { status: Number(responseHeaders[':status']), headers: responseHeaders, body: text };
}
