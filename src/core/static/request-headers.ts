/** All values of header `name` (lower-case) joined with `, ` as RFC 9110 allows for lists; null when absent. */
export function headerValue(headers: readonly string[], name: string): string | null {
  let value: string | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) value = value === null ? headers[i + 1] : value + ', ' + headers[i + 1];
  }
  return value;
}
