/** The byte stream of an upstream connection after its 101 (a socket, seen through what the tunnel needs). */
export interface UpgradedStream {
  write(chunk: Uint8Array): boolean;
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'drain' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}
