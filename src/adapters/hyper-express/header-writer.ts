import type { HttpResponse } from 'uWebSockets.js';

/** CR, LF or NUL would split the response; bytes over 0x7f need their original encoding. */
const NEEDS_CARE = /[\r\n\0\u0080-\uffff]/;
const FORBIDDEN = /[\r\n\0]/;

/**
 * Writes a flat `[name, value, ...]` list. uWS's writeHeader does not check for CR/LF, so a
 * header that could split the response is dropped here rather than written. Values arrive as
 * latin1-decoded strings (one char per byte); non-ASCII ones are written back as those bytes,
 * because uWS would re-encode a JS string as UTF-8.
 */
export function writeHeaderList(res: HttpResponse, headers: readonly string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    if (NEEDS_CARE.test(value) || NEEDS_CARE.test(name)) {
      if (FORBIDDEN.test(value) || FORBIDDEN.test(name)) continue;
      res.writeHeader(Buffer.from(name, 'latin1'), Buffer.from(value, 'latin1'));
    } else {
      res.writeHeader(name, value);
    }
  }
}
