import type { ForeignFormat } from './foreign-format';
/**
 * The Apex TCP proxy's `config.toml` (github.com/Kayleexx/apex): `backend_addrs = [...]`, served
 * on 127.0.0.1:8081 with round robin and a 5 s connect check, as Apex does. Pure: the parsed
 * TOML object in, a prox raw config (the YAML shape, validated as usual) out.
 */

/** Where Apex listens; its file has no field for it. */
export const APEX_LISTEN_ADDR = '127.0.0.1:8081';
/** Apex checks every backend every 5 seconds. */
export const APEX_HEALTH_INTERVAL_SECS = 5;

const APEX_FIELDS = new Set(['backend_addrs', 'listen_addr']);

/** Whether a parsed TOML document is an Apex TCP config: a top-level `backend_addrs` list. */
export function isApexTcpConfig(parsed: Readonly<Record<string, unknown>>): boolean {
  return Array.isArray(parsed['backend_addrs']);
}

/** Top-level keys of an Apex file that prox does not read (reported as warnings). */
export function unknownApexFields(parsed: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(parsed).filter((key) => !APEX_FIELDS.has(key));
}

export function apexTcpToRaw(parsed: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return {
    tcp: [
      {
        listen_addr: typeof parsed['listen_addr'] === 'string' ? parsed['listen_addr'] : APEX_LISTEN_ADDR,
        backend_addrs: parsed['backend_addrs'],
        strategy: 'round_robin',
        // One failed connect takes a backend out and one success brings it back, like Apex's alive flag.
        health_check: { interval_secs: APEX_HEALTH_INTERVAL_SECS, unhealthy_threshold: 1, healthy_threshold: 1 },
      },
    ],
  };
}

/**
 * Where a path of the converted config was written in the Apex file: the listener's
 * `backend_addrs` and `listen_addr` are its top-level keys; the rest are prox's defaults for
 * Apex (the whole file).
 */
export function apexTcpSourcePath(path: readonly string[]): readonly string[] {
  if (path[0] !== 'tcp') return path;
  const field = path[2];
  return field === 'backend_addrs' || field === 'listen_addr' ? path.slice(2) : [];
}

/** The Apex TCP proxy's `config.toml` in the foreign-format registry (detect.ts). */
export const apexTcp: ForeignFormat = {
  id: 'apex-tcp',
  title: 'Apex TCP proxy config.toml',
  syntax: 'toml',
  recognises: (document) => isApexTcpConfig(document),
  toProx: (document) => ({
    config: apexTcpToRaw(document),
    notes: unknownApexFields(document).map((key) => ({ at: [], message: `"${key}" is not an Apex TCP field prox reads; it is ignored` })),
    sourcePath: apexTcpSourcePath,
  }),
};
