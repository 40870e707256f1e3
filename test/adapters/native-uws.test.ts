import { existsSync } from 'node:fs';
import { isNativeUwsLoaded, loadNativeUws, NativeUwsUnavailableError, nativeUwsBinaryPath } from '../../src/adapters/hyper-express/native-uws';

/**
 * About the µWebSockets engine only: its fork ships a native binary for Node 20's ABI and a slow
 * pure-JS fallback for everything else. Where the binary exists prox must load it; where it does
 * not (Node 22, 24), prox must refuse µWebSockets loudly instead of running the fallback.
 */
describe('µWebSockets native binary', () => {
  const binaryExists = existsSync(nativeUwsBinaryPath());

  it(`${binaryExists ? 'is loaded from the .node binary' : 'is refused'} on Node ${process.versions.node}, never the pure-JS fallback`, () => {
    if (binaryExists) {
      const uws = loadNativeUws();
      expect(isNativeUwsLoaded()).toBe(true);
      // The fallback has no SSLApp; the native module does.
      expect(typeof (uws as unknown as { SSLApp?: unknown }).SSLApp).toBe('function');
    } else {
      expect(() => loadNativeUws()).toThrow(NativeUwsUnavailableError);
      expect(() => loadNativeUws()).toThrow(/has no build for Node/);
    }
  });
});
