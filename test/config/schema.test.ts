import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS } from '../../src/config/defaults';
import { CONFIG_SCHEMA_PATH, configValidator, routeTypesAccepting, schemaAt, type SchemaNode } from '../../src/config/schema';

const schema = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config.schema.json'), 'utf8')) as SchemaNode;

/** Every place a config field is declared: named properties, map values, list items. */
function fieldsWithoutDescription(node: SchemaNode, where: string, out: string[]): string[] {
  if (node.$ref) return out; // described at the definition
  if (!node.description) out.push(where);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (typeof child === 'object') fieldsWithoutDescription(child, `${where}.${name}`, out);
  }
  for (const [pattern, child] of Object.entries(node.patternProperties ?? {})) {
    fieldsWithoutDescription(child, `${where}[${pattern}]`, out);
  }
  if (typeof node.additionalProperties === 'object') fieldsWithoutDescription(node.additionalProperties, `${where}.*`, out);
  if (node.items) fieldsWithoutDescription(node.items, `${where}[]`, out);
  return out;
}

describe('config.schema.json', () => {
  it('is found at the package root from the compiled location', () => {
    expect(CONFIG_SCHEMA_PATH).toBe(path.resolve(__dirname, '..', '..', 'config.schema.json'));
  });

  it('describes every field', () => {
    const missing = fieldsWithoutDescription(schema, '(root)', []);
    for (const [name, definition] of Object.entries(schema.definitions ?? {})) {
      fieldsWithoutDescription(definition, `#${name}`, missing);
    }
    expect(missing).toEqual([]);
  });

  it('announces the same defaults the normaliser applies', () => {
    expect(schemaAt(['shutdown_timeout_secs'])?.default).toBe(DEFAULTS.shutdownTimeoutSecs);
    expect(schemaAt(['trusted_proxies'])?.default).toEqual(DEFAULTS.trustedProxies);
    expect(schemaAt(['limits', 'max_header_bytes'])?.default).toBe(DEFAULTS.maxHeaderBytes);
    expect(schemaAt(['limits', 'max_headers'])?.default).toBe(DEFAULTS.maxHeaders);
    expect(schemaAt(['limits', 'max_body_bytes'])?.default).toBe(DEFAULTS.maxBodyBytes);
    const route = ['routes', '/any'];
    expect(schemaAt([...route, 'strategy'])?.default).toBe(DEFAULTS.strategy);
    expect(schemaAt([...route, 'status_code'])?.default).toBe(DEFAULTS.redirectStatus);
    expect(schemaAt([...route, 'preserve_host'])?.default).toBe(DEFAULTS.preserveHost);
    expect(schemaAt([...route, 'timeout_secs'])?.default).toBe(DEFAULTS.timeoutSecs);
    expect(schemaAt([...route, 'connect_timeout_secs'])?.default).toBe(DEFAULTS.connectTimeoutSecs);
  });

  it('compiles the validator once and reuses it', () => {
    expect(configValidator()).toBe(configValidator());
  });

  it('knows which route types accept a field', () => {
    expect(routeTypesAccepting('status_code')).toEqual(['redirect']);
    expect(routeTypesAccepting('path_rewrite')).toEqual(['proxy', 'load_balance']);
    expect(routeTypesAccepting('rate_limit')).toEqual(['proxy', 'load_balance', 'redirect', 'static']);
  });

  it('accepts x- prefixed top-level keys as homes for YAML anchors, but nothing else unknown', () => {
    const validate = configValidator();
    const base = { listen_addr: '127.0.0.1:1', routes: { '/': { type: 'proxy', target: 'http://a' } } };
    expect(validate({ ...base, 'x-defaults': { anything: true } })).toBe(true);
    expect(validate({ ...base, defaults: {} })).toBe(false);
  });

  it('accepts Prox protocol settings loosely', () => {
    const validate = configValidator();
    const base = { listen_addr: '127.0.0.1:1', routes: { '/': { type: 'proxy', target: 'http://a' } } };
    const protocols = {
      http2_enabled: true,
      websocket_enabled: true,
      http2_max_frame_size: 16384,
      some_future_flag: 'on',
      http3_config: { max_data: 10000000, congestion_control: 'cubic', enable_0rtt: true, future_knob: 3 },
    };
    expect(validate({ ...base, protocols })).toBe(true);
    expect(validate({ ...base, protocols: { http2_enabled: 'yes please' } })).toBe(false);
    expect(validate({ ...base, protocols: { nested: { deep: 1 } } })).toBe(false);
  });
});
