import type { PlaceholderName, TemplatePart } from '../model';

/** Placeholders as small integers, so rendering switches on a number, not a string. */
export const enum Placeholder {
  ClientIp,
  Timestamp,
  TimestampIso,
  RequestId,
  Host,
  UriPath,
  Method,
  Route,
}

const BY_NAME: Readonly<Record<PlaceholderName, Placeholder>> = {
  client_ip: Placeholder.ClientIp,
  timestamp: Placeholder.Timestamp,
  timestamp_iso: Placeholder.TimestampIso,
  request_id: Placeholder.RequestId,
  host: Placeholder.Host,
  uri_path: Placeholder.UriPath,
  method: Placeholder.Method,
  route: Placeholder.Route,
};

/** What a template is filled from: one per exchange, values computed when first asked for. */
export interface PlaceholderValues {
  valueOf(placeholder: Placeholder): string;
}

/**
 * A header value compiled from its template: a plain string when it has no placeholder (the
 * common case, rendered without any work), otherwise literal strings and placeholder numbers.
 */
export class ValueTemplate {
  private constructor(
    readonly literal: string | null,
    private readonly parts: readonly (string | Placeholder)[],
  ) {}

  static compile(parts: readonly TemplatePart[]): ValueTemplate {
    if (parts.every((part) => part.kind === 'literal')) {
      return new ValueTemplate(parts.map((part) => (part.kind === 'literal' ? part.text : '')).join(''), []);
    }
    return new ValueTemplate(
      null,
      parts.map((part) => (part.kind === 'literal' ? part.text : BY_NAME[part.name])),
    );
  }

  render(values: PlaceholderValues): string {
    if (this.literal !== null) return this.literal;
    const parts = this.parts;
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      out += typeof part === 'string' ? part : values.valueOf(part);
    }
    return out;
  }
}

/** Characters a header value may carry as they are; anything else is percent-encoded. */
const HEADER_SAFE = /^[\x21-\x7e]*$/;

/**
 * Request-derived text (a path may hold spaces or non-ASCII characters as sent) made safe for
 * a header value: valid values are kept as they are, and only odd ones pay for the encoding.
 */
export function headerSafe(text: string): string {
  if (HEADER_SAFE.test(text)) return text;
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out += code > 0x20 && code < 0x7f ? char : percentEncoded(char);
  }
  return out;
}

function percentEncoded(char: string): string {
  try {
    return encodeURIComponent(char);
  } catch {
    // A lone surrogate has no UTF-8 form: U+FFFD, as a decoder would have produced.
    return '%EF%BF%BD';
  }
}
