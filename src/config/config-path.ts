/**
 * A location inside the config document, as the list of map keys / sequence indexes leading to it.
 *
 * Diagnostics carry the JSON-pointer form (stable, machine-readable, what ajv reports); people
 * read the display form, because `/routes/~1api/target` is hard to read when keys contain `/`.
 */
export type ConfigPath = readonly string[];

export function toPointer(path: ConfigPath): string {
  return path.map((segment) => '/' + segment.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const PLAIN_FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ARRAY_INDEX = /^[0-9]+$/;

/** `routes["/api"].targets[1]`; `(document)` for the root. */
export function displayPath(path: ConfigPath): string {
  if (path.length === 0) return '(document)';
  let out = '';
  for (const segment of path) {
    if (ARRAY_INDEX.test(segment)) out += `[${segment}]`;
    else if (PLAIN_FIELD.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function displayPointer(pointer: string): string {
  return displayPath(fromPointer(pointer));
}
