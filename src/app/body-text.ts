import type { BodySource } from '../ports/body';

/**
 * A request body (`admin.public_path`) as UTF-8 text, or null once it passes `maxBytes`: from
 * then on its bytes are read and dropped, within the listener's own limits, so the connection
 * stays usable for the client's next request. No body reads as ''.
 */
export function readBodyText(source: BodySource | null, maxBytes: number): Promise<string | null> {
  if (source === null) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let received = 0;
    source.start({
      onBodyChunk(chunk) {
        received += chunk.byteLength;
        if (received <= maxBytes) return void chunks.push(chunk);
        // Settled at the first byte too many; a promise settles once, so later calls are no-ops.
        chunks.length = 0;
        resolve(null);
      },
      onBodyEnd() {
        if (received <= maxBytes) resolve(Buffer.concat(chunks).toString('utf8'));
      },
      onBodyError: reject,
    });
  });
}
