/**
 * Which certificate answers a TLS client's SNI name: an exact name first, then a `*.` wildcard
 * covering exactly one more label (RFC 6125 §6.4.3: `*.example.com` covers `a.example.com`,
 * not `example.com` nor `a.b.example.com`), then the default. When two certificates claim a
 * name, the first one listed wins.
 */
export class SniTable<T> {
  private readonly exact = new Map<string, T>();
  private readonly wildcard = new Map<string, T>();

  constructor(
    entries: readonly { readonly names: readonly string[]; readonly value: T }[],
    private readonly fallback: T | null,
  ) {
    for (const entry of entries) {
      for (const raw of entry.names) {
        const name = normaliseName(raw);
        if (name.startsWith('*.')) {
          const parent = name.slice(2);
          if (!this.wildcard.has(parent)) this.wildcard.set(parent, entry.value);
        } else if (!this.exact.has(name)) {
          this.exact.set(name, entry.value);
        }
      }
    }
  }

  /** The value for a client's SNI name (case and a trailing dot ignored); null when none applies. */
  lookup(servername: string): T | null {
    const name = normaliseName(servername);
    const exact = this.exact.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wildcard = this.wildcard.get(name.slice(dot + 1));
      if (wildcard !== undefined) return wildcard;
    }
    return this.fallback;
  }
}

function normaliseName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
