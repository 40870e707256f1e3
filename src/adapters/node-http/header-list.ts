/** Anything outside visible ASCII, space and tab: such a header needs a closer look. */
const NEEDS_CARE = /[^\t\x20-\x7e]/;
/** What node:http refuses in a value (it throws): CR, LF, NUL, other controls, chars over 0xff. */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A copy of a flat `[name, value, ...]` list that node:http will write without throwing.
 * A header that could split the response is dropped rather than written (as the µWS adapter
 * does); values arrive latin1-decoded and node writes the head as latin1, so bytes over 0x7f go
 * back out unchanged.
 */
export function safeHeaderList(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    if (NEEDS_CARE.test(value) && INVALID_VALUE.test(value)) continue;
    if (!TOKEN.test(name)) continue;
    out.push(name, value);
  }
  return out;
}
