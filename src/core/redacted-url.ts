/** `redis://user:secret@host` → `redis://user:[redacted]@host`: a URL's password never leaves the process. */
export function redactUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:)[^/@\s]*@/i, '$1[redacted]@');
}
