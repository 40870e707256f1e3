import { existsSync } from 'node:fs';
import { isNativeUwsLoaded, loadNativeUws, nativeUwsBinaryPath } from '../../src/adapters/hyper-express/native-uws';

describe('µWebSockets native binary', () => {
  it('is loaded from the .node binary, not the pure-JS fallback', () => {
    expect(existsSync(nativeUwsBinaryPath())).toBe(true);
    const uws = loadNativeUws();
    expect(isNativeUwsLoaded()).toBe(true);
    // The fallback has no SSLApp; the native module does.
    expect(typeof (uws as unknown as { SSLApp?: unknown }).SSLApp).toBe('function');
  });
});
