import type { AdminHandler, AdminResponse, AdminServer } from '../../ports/admin-server';
import type { BoundListener } from '../../ports/http-server';

/**
 * The admin "listener" of a worker process: no socket of its own. The supervisor owns the admin
 * port and asks each worker over IPC; this keeps the worker's handler so those questions can be
 * answered. The bound address it reports is the supervisor's, where the endpoints really are.
 */
export class IpcAdminServer implements AdminServer {
  private handler: AdminHandler | null = null;

  constructor(private readonly shownAddress: { readonly host: string; readonly port: number }) {}

  async listen(_host: string, _port: number, handler: AdminHandler): Promise<BoundListener> {
    this.handler = handler;
    return {
      host: this.shownAddress.host,
      port: this.shownAddress.port,
      protocol: 'http/1.1',
      stopAccepting: async () => {
        this.handler = null;
      },
    };
  }

  answer(method: string, path: string, authorization: string | null = null): Promise<AdminResponse> {
    if (this.handler === null) {
      return Promise.resolve({ status: 503, contentType: 'application/json', body: '{"error":"admin_not_ready"}\n' });
    }
    return this.handler(method, path, '', authorization);
  }
}
