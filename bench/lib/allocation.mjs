// Bytes a prox process allocates per proxied request, from V8's --trace-gc-nvp: every collection
// prints one line with `allocated=N`, the bytes allocated since the previous collection. Summed
// over the collections that happen while a fixed load runs, divided by the requests it made.
// The flag costs CPU, so it is used only in runs of its own, never in the timed rounds.

/** The node flag that makes V8 print one name=value line per collection on stdout. */
export const TRACE_GC_ARGS = ['--trace-gc-nvp'];

/**
 * Reads `stream` (a child's stdout) line by line and sums the `allocated=` figures of the
 * collections it reports; returns a function giving the running total in bytes. A line split
 * across chunks is counted once, when its end arrives.
 */
export function countAllocatedBytes(stream) {
  let total = 0;
  let partial = '';
  stream.on('data', (chunk) => {
    const lines = (partial + String(chunk)).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const match = / allocated=(\d+)/.exec(line);
      if (match !== null) total += Number(match[1]);
    }
  });
  return () => total;
}

/**
 * Starts a peer with --trace-gc-nvp (`start({ traceGc: true })` must return `allocatedBytes()`),
 * warms it up, then drives `seconds` of load and divides what was allocated meanwhile by the
 * requests served. Returns { bytes, requests, seconds, bytesPerRequest }.
 */
export async function measureAllocation({ start, drive, warmupSeconds, seconds }) {
  const peer = await start({ traceGc: true });
  try {
    if (peer.allocatedBytes === undefined) throw new Error('this peer does not report allocations');
    await drive({ port: peer.port, seconds: warmupSeconds });
    const before = peer.allocatedBytes();
    const result = await drive({ port: peer.port, seconds });
    const bytes = peer.allocatedBytes() - before;
    if (result.requests === 0) throw new Error('no requests were served in the allocation run');
    if (bytes === 0) throw new Error('V8 reported no collection during the allocation run (too short?)');
    return { bytes, requests: result.requests, seconds, bytesPerRequest: bytes / result.requests };
  } finally {
    await peer.stop();
  }
}
