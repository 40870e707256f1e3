import { contentType, lookup } from 'mime-types';

const FALLBACK = 'application/octet-stream';
const byExtension = new Map<string, string>();

/**
 * Content-Type for a file name from the mime-types database; text types carry
 * `charset=utf-8`. Cached per extension: the set of extensions a site uses is small.
 */
export function contentTypeFor(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const extension = dot <= 0 ? '' : fileName.slice(dot + 1).toLowerCase();
  let type = byExtension.get(extension);
  if (type === undefined) {
    const found = extension === '' ? false : lookup(extension);
    type = found === false ? FALLBACK : contentType(found) || found;
    if (byExtension.size < 1000) byExtension.set(extension, type);
  }
  return type;
}
