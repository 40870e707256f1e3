import type { JSONSchema } from 'json-schema-to-ts';

/**
 * The JSON Schema of a prox config file: the one source of truth for what the YAML may say.
 *
 * - ajv validates with this object (src/config/schema.ts); the error hints quote its descriptions.
 * - `config.schema.json` at the package root, shipped for users and editors, is this object as
 *   JSON. It is generated: edit this file, then `npm run schema`. test/config/schema-source.test.ts
 *   fails when the committed file and this object differ.
 * - The raw config types (src/config/raw-config.ts) are inferred from this object by
 *   json-schema-to-ts, and compile-time checks there tie the core model's literal unions
 *   (BalanceStrategy, RetryCondition, RedirectStatus, ...) to its enums.
 *
 * Adding a field (e.g. to `tls`):
 * 1. Add it under the block's `properties` with a `description` (a test requires one on every
 *    field) and, when leaving it out means something, a `default` equal to the value in
 *    src/config/defaults.ts (a test compares them). A block used in several places lives in
 *    `definitions` and is pointed at with `$ref`.
 * 2. A route field: add `field: false` to the `then` of each route type it does not apply to
 *    (the `allOf` at the end of `route`); the "not allowed for type X" messages read it there.
 * 3. `npm run schema`, then read the field in the normaliser through its Raw* type, which now
 *    has it. Keep to draft-07 keywords; the object stays `as const` so its literals are inferred.
 */

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

/** A file name inside a directory: no / or \, not . or .. */
const FILE_NAME_PATTERN = '^(?!\\.\\.?$)[^/\\\\\\u0000]+$';

/** The fields of one header-rule block: the single-block form and each item of the list form. */
/** The realm an auth scheme names in WWW-Authenticate: no quote, backslash or control character can break the challenge. */
const AUTH_REALM = {
  description: 'Realm named in WWW-Authenticate.',
  type: 'string',
  minLength: 1,
  pattern: '^[^"\\\\\\u0000-\\u001f\\u007f]+$',
  default: 'prox',
} as const;

const HEADER_RULE_FIELDS = {
  condition: { $ref: '#/definitions/condition' },
  remove: { $ref: '#/definitions/header_name_list' },
  add: { $ref: '#/definitions/header_set' },
  append: { $ref: '#/definitions/header_append' },
} as const;

/** The fields of one body-rule block: the single-block form and each item of the list form. */
const BODY_RULE_FIELDS = {
  condition: { $ref: '#/definitions/condition' },
  set_text: { $ref: '#/definitions/set_text' },
  set_json: { $ref: '#/definitions/set_json' },
} as const;

/** A header value in `add` and `append`. */
const HEADER_VALUE = {
  description: 'Header value: visible ASCII, spaces and tabs, with optional placeholders such as {client_ip}; {{ and }} are literal braces.',
  type: 'string',
} as const;

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'prox configuration',
  description: "Configuration file for the prox edge proxy. Field names follow the Rust Prox YAML format; fields marked 'not active yet' are validated but have no effect in this version.",
  type: 'object',
  additionalProperties: false,
  // listen_addr + routes (HTTP), tcp listeners, or both: semantic-checks.ts says which is missing.
  required: [],
  patternProperties: {
    '^x-': {
      description: 'Ignored by prox. A place for YAML anchors shared through merge keys, e.g. x-defaults: &defaults {timeout_secs: 10} and then <<: *defaults inside a route.',
    },
  },
  properties: {
    listen_addr: {
      description: 'Address the proxy listens on, as IP:PORT (e.g. 127.0.0.1:3000, 0.0.0.0:8080) or [IPv6]:PORT (e.g. [::1]:3000). Host names are not accepted.',
      type: 'string',
      examples: ['127.0.0.1:3000', '[::]:8080'],
    },
    routes: {
      description: 'Routes keyed by match: a path prefix starting with / (e.g. /api), or host/path (e.g. api.example.com/ or *.example.com/v1). /api and /api/ are the same route.',
      type: 'object',
      minProperties: 1,
      additionalProperties: { $ref: '#/definitions/route' },
    },
    tls: {
      description: "TLS termination on listen_addr (HTTPS/1.1 and HTTP/2 by ALPN), from certificate files: the default certificate (cert_path + key_path) and/or more certificates chosen by SNI (certificates), or automatic certificates from an ACME CA (acme). Relative paths resolve against the config file's directory.",
      type: "object",
      additionalProperties: false,
      properties: {
        cert_path: {
          description: "Path to the PEM certificate chain of the default certificate (served when no SNI certificate matches, and to clients that send no SNI). Requires key_path.",
          type: "string",
          minLength: 1
        },
        key_path: {
          description: "Path to the PEM private key of the default certificate. Requires cert_path.",
          type: "string",
          minLength: 1
        },
        certificates: {
          description: "prox extension: more certificates, chosen by the client's SNI name: exact name first, then *.wildcard, then the default certificate. Names come from each certificate's subjectAltName DNS entries (or its CN when it has none).",
          type: "array",
          items: {
            description: "One certificate chain and its key.",
            type: "object",
            additionalProperties: false,
            required: [
              "cert_path",
              "key_path"
            ],
            properties: {
              cert_path: {
                description: "Path to the PEM certificate chain.",
                type: "string",
                minLength: 1
              },
              key_path: {
                description: "Path to the PEM private key of that certificate.",
                type: "string",
                minLength: 1
              }
            }
          },
          default: []
        },
        min_version: {
          description: "prox extension: lowest TLS version accepted.",
          enum: [
            "TLSv1.2",
            "TLSv1.3"
          ],
          default: "TLSv1.2"
        },
        http_listen_addr: {
          description: "prox extension: a plaintext HTTP listener beside the TLS one, as IP:PORT (e.g. 0.0.0.0:80). It redirects to HTTPS (http_redirect) or serves the routes.",
          type: "string",
          examples: [
            "0.0.0.0:80"
          ]
        },
        http_redirect: {
          description: "prox extension: the http_listen_addr listener answers every request with 308 to https://same-host/same-path?same-query; false serves the routes in plaintext too.",
          type: "boolean",
          default: true
        },
        hsts: {
          description: "prox extension: send Strict-Transport-Security on HTTPS answers. Off when absent.",
          type: "object",
          additionalProperties: false,
          required: [
            "max_age_secs"
          ],
          properties: {
            max_age_secs: {
              description: "max-age, seconds.",
              type: "integer",
              minimum: 0
            },
            include_subdomains: {
              description: "Add includeSubDomains.",
              type: "boolean",
              default: false
            },
            preload: {
              description: "Add preload.",
              type: "boolean",
              default: false
            }
          }
        },
        acme: {
          $ref: "#/definitions/acme"
        }
      },
      dependencies: {
        cert_path: [
          "key_path"
        ],
        key_path: [
          "cert_path"
        ]
      }
    },
    tcp: {
      description: 'prox extension: L4 TCP listeners. Each forwards whole connections, bytes untouched, to its healthy backends (docs/tcp.md). A config may have only tcp listeners and no routes; then prox opens no HTTP listener.',
      type: 'array',
      items: { $ref: '#/definitions/tcp_listener' },
    },
    health_check: { $ref: '#/definitions/health_check' },
    upstream_tls: { $ref: '#/definitions/upstream_tls' },
    backend_health_paths: {
      description: 'Per-backend health probe path, overriding health_check.path for that backend in every route. Keyed by the backend URL as written in route targets; a trailing / on either side is ignored.',
      type: 'object',
      additionalProperties: {
        description: 'Health probe path for this backend; starts with /.',
        type: 'string',
        pattern: '^/',
      },
      default: {},
    },
    protocols: {
      description: "Prox HTTP/2, HTTP/3 and WebSocket settings. Accepted loosely (unknown keys with scalar values are allowed so newer Prox files still load). The http2_* settings apply to the TLS listener; websocket_enabled applies to every listener; http3 settings are not active yet.",
      type: "object",
      properties: {
        http2_enabled: {
          description: "Offer HTTP/2 on the TLS listener (ALPN offers h2, then http/1.1). No effect without tls (prox does not speak cleartext h2c).",
          type: "boolean",
          default: true
        },
        http3_enabled: {
          description: "Offer HTTP/3 over QUIC (requires tls).",
          type: "boolean"
        },
        websocket_enabled: {
          description: "Proxy WebSocket upgrades on proxy/load_balance routes, on every listener (HTTP/1.1 only: WebSockets over HTTP/2, RFC 8441, are not supported). false: an upgrade request is answered 400 (upgrade_not_allowed) and never reaches a backend.",
          type: "boolean",
          default: true
        },
        http2_max_frame_size: {
          description: "Largest HTTP/2 frame payload prox accepts, bytes: 16384 to 16777215 (RFC 9113 SETTINGS_MAX_FRAME_SIZE).",
          type: "integer",
          minimum: 16384,
          maximum: 16777215,
          default: 16384
        },
        http2_max_concurrent_streams: {
          description: "Concurrent HTTP/2 streams per connection; streams over it are refused (REFUSED_STREAM).",
          type: "integer",
          minimum: 1,
          maximum: 4294967295,
          default: 100
        },
        http3_config: {
          description: "QUIC transport tuning for HTTP/3.",
          type: "object",
          properties: {
            max_data: {
              description: "Connection-level flow control window, bytes.",
              type: "integer",
              minimum: 1
            },
            max_stream_data: {
              description: "Stream-level flow control window, bytes.",
              type: "integer",
              minimum: 1
            },
            max_streams_bidi: {
              description: "Concurrent bidirectional streams per connection.",
              type: "integer",
              minimum: 1
            },
            max_idle_timeout: {
              description: "Idle timeout, milliseconds.",
              type: "integer",
              minimum: 0
            },
            congestion_control: {
              description: "Congestion control algorithm name, e.g. cubic.",
              type: "string"
            },
            enable_0rtt: {
              description: "Allow 0-RTT resumption.",
              type: "boolean"
            },
            max_packet_size: {
              description: "Largest UDP payload, bytes.",
              type: "integer",
              minimum: 1
            }
          },
          additionalProperties: {
            description: "Other QUIC setting; any scalar is accepted.",
            type: [
              "boolean",
              "number",
              "string"
            ]
          }
        }
      },
      additionalProperties: {
        description: "Other protocol setting; any scalar is accepted.",
        type: [
          "boolean",
          "number",
          "string"
        ]
      }
    },
    workers: {
      description: 'prox extension. Processes serving the public listener: a whole number from 1 to 256, or "auto" for one per available CPU. With more than 1, a supervisor process restarts crashed workers, reloads and drains every worker, and serves the admin endpoints with metrics summed over all workers; the workers share listen_addr (SO_REUSEPORT).',
      type: ['integer', 'string'],
      minimum: 1,
      maximum: 256,
      pattern: '^auto$',
      default: 1,
    },
    engine: {
      description: "prox extension. The inbound HTTP/1.1 engine of the plaintext listener. auto (the default) = llhttp: prox's own HTTP/1.1 server on node:net with Node's llhttp parser, which answers every client including HTTP/1.0 ones (ApacheBench, curl -0, HAProxy option httpchk) and costs about as little CPU per request as µWebSockets. node = node:http (the same parser and checks; more CPU per request). uws = µWebSockets: HTTP/1.0 and pipelined requests, a missing Host, NUL in the request line and more than ~100 headers are closed unanswered or left to the idle timeout (docs/http-semantics.md); it needs the native binary (Node 20) and fails at startup elsewhere. With workers: N on Node < 22.12, auto runs uws (only it can share the port there). The environment variable PROX_HTTP_SERVER=llhttp|node|uws overrides it. Changes apply after a restart.",
      type: 'string',
      enum: ['auto', 'uws', 'node', 'llhttp'],
      default: 'auto',
    },
    shutdown_timeout_secs: {
      description: 'prox extension. Seconds in-flight requests get to finish after SIGTERM/SIGINT before connections are closed. WebSocket sessions run on until then and are closed with 1001 at this timeout.',
      type: 'number',
      minimum: 0,
      default: 30,
    },
    trusted_proxies: {
      description: 'prox extension. Addresses or CIDR ranges of proxies in front of prox whose X-Forwarded-For is believed; also the names loopback, linklocal and uniquelocal.',
      type: 'array',
      items: {
        description: 'IP address, CIDR range (e.g. 10.0.0.0/8) or one of loopback, linklocal, uniquelocal.',
        type: 'string',
        minLength: 1,
      },
      default: [],
    },
    limits: {
      description: 'prox extension. Request size limits applied before a request is routed, and the timeouts and connection caps that defend against slow or greedy clients (both apply to every listener).',
      type: 'object',
      additionalProperties: false,
      properties: {
        max_header_bytes: {
          description: 'Largest accepted request header block (names and values), bytes; larger requests get 431.',
          type: 'integer',
          minimum: 1,
          default: 16384,
        },
        max_headers: {
          description: 'Most request header fields accepted; more get 431.',
          type: 'integer',
          minimum: 1,
          default: 100,
        },
        max_body_bytes: {
          description: 'Largest accepted request body, bytes; larger requests get 413. null means unlimited.',
          type: ['integer', 'null'],
          minimum: 0,
          default: null,
        },
        header_timeout_secs: {
          description:
            'A request head (request line and headers) must arrive in full within this many seconds of its first byte, or the client gets 408 and the connection closes (slowloris defence). Fractions allowed. Fixed at 10 s on the µWebSockets engine (docs/http-semantics.md).',
          type: 'number',
          exclusiveMinimum: 0,
          default: 10,
        },
        body_timeout_secs: {
          description:
            'A request body from which no byte arrived for this many seconds (while prox was reading) is abandoned: 408 and the connection closes (slow POST defence). Fractions allowed.',
          type: 'number',
          exclusiveMinimum: 0,
          default: 30,
        },
        keepalive_timeout_secs: {
          description:
            'An idle keep-alive connection (no request in progress) is closed after this many seconds. Fractions allowed. Fixed at 10 s on the µWebSockets engine (docs/http-semantics.md).',
          type: 'number',
          exclusiveMinimum: 0,
          default: 10,
        },
        max_connections: {
          description:
            'Most client connections open at once on a listener; a connection over it is closed at once, before any byte is read. null means unlimited. Not enforced on the µWebSockets engine (docs/http-semantics.md).',
          type: ['integer', 'null'],
          minimum: 1,
          default: 20000,
        },
        max_connections_per_ip: {
          description:
            'Most client connections open at once from one client address on a listener; a connection over it is closed at once. null means unlimited. Not enforced on the µWebSockets engine (docs/http-semantics.md).',
          type: ['integer', 'null'],
          minimum: 1,
          default: 1000,
        },
      },
    },
    admin: {
      description: 'prox extension. The admin endpoints (/metrics, /healthz, /readyz, /routes, /backends, /config): read-only views of the running proxy for operators and monitoring, served on their own listener (loopback only by default) and, with public_path, also on the public listener. Changes apply after a restart.',
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: {
          description: 'Whether the admin listener on listen_addr is started. public_path works independently of it.',
          type: 'boolean',
          default: true,
        },
        listen_addr: {
          description: 'Address of the admin listener, written like the top-level listen_addr: IP:PORT or [IPv6]:PORT (port 0 lets the OS pick). Must differ from the top-level listen_addr. Anything but loopback (127.0.0.0/8, ::1) requires admin.token.',
          type: 'string',
          default: '127.0.0.1:9901',
          examples: ['127.0.0.1:9901', '10.0.0.5:9901'],
        },
        public_path: {
          description: 'Path prefix, e.g. /_prox, under which the admin endpoints are also served on the public listener (/_prox/metrics, ...), on every host and before any route is matched. Requires admin.token (the endpoints there answer only with it, /healthz and /readyz aside). Starts with /, is not / itself, and no route may use that path or one below it. null (the default) keeps them off the public listener.',
          type: ['string', 'null'],
          pattern: '^/[^?#\\s]*$',
          default: null,
        },
        token: {
          description: 'Bearer token the admin endpoints require (Authorization: Bearer <token>) on a non-loopback admin listen_addr and on public_path; required there, prox validate refuses the config without it. /healthz and /readyz stay open for orchestrator probes; a loopback admin listener stays open. At least 16 characters; never shown by /config.',
          type: ['string', 'null'],
          minLength: 16,
          pattern: '^[\\x21-\\x7e]+$',
          default: null,
        },
      },
    },
    access_log: {
      description: 'prox extension. One line per request (including local answers such as 404 and redirects), written after the response finished. A route can opt out with access_log: false. Changes apply on reload.',
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: {
          description: 'Whether requests are logged at all; false turns the access log off for every route.',
          type: 'boolean',
          default: true,
        },
        format: {
          description: 'json: one JSON object per line. combined: the Apache/nginx combined log format.',
          type: 'string',
          enum: ['json', 'combined'],
          default: 'json',
        },
        path: {
          description: 'File the lines are appended to (created with its directories if missing); a relative path is taken relative to the directory of the config file. null (the default) writes to standard output.',
          type: ['string', 'null'],
          minLength: 1,
          default: null,
        },
      },
    },
    errors: { $ref: '#/definitions/error_pages' },
    request_id_header: {
      description: 'prox extension. Header carrying the request id: a sane incoming value is kept, otherwise prox generates one; the id is sent upstream and back to the client under this name and appears in the access log. Case-insensitive; must be a header name of its own (not Host, Content-Length, a hop-by-hop or X-Forwarded-* header, ...).',
      type: 'string',
      pattern: HEADER_NAME_PATTERN,
      default: 'x-request-id',
    },
    rate_limit_store: {
      description: 'prox extension. Where the counters of every rate_limit live. Absent: in each prox process (workers: N and several instances each count on their own). type: redis shares them between every process and instance that points at the same Redis (docs/rate-limiting.md). Changes apply after a restart.',
      type: 'object',
      additionalProperties: false,
      required: ['type', 'url'],
      properties: {
        type: {
          description: 'redis: counters in Redis (or a Redis-compatible server such as Valkey), one atomic Lua script call per request, Redis TIME as the one clock.',
          type: 'string',
          enum: ['redis'],
        },
        url: {
          description: 'redis://[user:password@]host[:port][/db], or rediss:// for TLS. The password is redacted in /config and logs. The environment variable PROX_RATE_LIMIT_STORE_URL, when set, replaces it, so the password can come from a secret store (a Kubernetes Secret) instead of the config file.',
          type: 'string',
          pattern: '^rediss?://[^\\s]+$',
          examples: ['redis://127.0.0.1:6379/0', 'rediss://prox:secret@redis.internal:6380/0'],
        },
        key_prefix: {
          description: 'Prefix of every key prox writes, so several prox fleets (or other applications) can share one Redis.',
          type: 'string',
          default: 'prox:rl:',
        },
        timeout_ms: {
          description: 'Milliseconds Redis gets to answer one check; a slower answer counts as Redis being unavailable for that request.',
          type: 'integer',
          minimum: 1,
          maximum: 60000,
          default: 50,
        },
        on_error: {
          description: 'What a request gets when Redis does not answer: allow serves it unlimited (fail open, like Envoy and Traefik); deny refuses it with the rate limit status (and /readyz reports not ready); local counts it in this process alone until Redis is back.',
          type: 'string',
          enum: ['allow', 'deny', 'local'],
          default: 'allow',
        },
      },
    },
  },
  definitions: {
    tcp_listener: {
      description: 'One TCP listener: where it listens and where its connections go.',
      type: 'object',
      additionalProperties: false,
      required: ['listen_addr'],
      properties: {
        listen_addr: {
          description: 'Address this TCP listener binds, as IP:PORT or [IPv6]:PORT; different from every other listener.',
          type: 'string',
          examples: ['127.0.0.1:8081'],
        },
        backend_addrs: {
          description: 'Backends as IP:PORT or host:port, each with weight 1 (the Apex TCP proxy field). Give backend_addrs or targets, not both; leave both out only with sni_routes.',
          type: 'array',
          items: { description: 'A backend as IP:PORT, [IPv6]:PORT or host:port.', type: 'string', minLength: 1 },
        },
        targets: {
          description: 'Backends with weights: {addr, weight}. Give backend_addrs or targets, not both.',
          type: 'array',
          items: {
            description: 'One weighted backend.',
            type: 'object',
            additionalProperties: false,
            required: ['addr'],
            properties: {
              addr: { description: 'The backend as IP:PORT, [IPv6]:PORT or host:port.', type: 'string', minLength: 1 },
              weight: { description: 'Share of traffic for weighted strategies, 1-1000.', type: 'integer', minimum: 1, maximum: 1000, default: 1 },
            },
          },
        },
        strategy: {
          description: 'How a backend is chosen for each new connection; ip_hash and consistent_hash hash the client address.',
          enum: ['round_robin', 'weighted_round_robin', 'least_connections', 'random', 'power_of_two', 'ip_hash', 'consistent_hash'],
          default: 'round_robin',
        },
        health_check: {
          description: 'TCP connect checks: a backend whose connects fail unhealthy_threshold times in a row gets no new connections until healthy_threshold connects succeed. Off when absent.',
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { description: 'Whether backends are checked; true whenever the block is present, unless set to false.', type: 'boolean', default: true },
            interval_secs: { description: 'Seconds between two checks of the same backend.', type: 'number', exclusiveMinimum: 0, default: 10 },
            timeout_secs: { description: 'Seconds a connect may take before the check fails.', type: 'number', exclusiveMinimum: 0, default: 2 },
            unhealthy_threshold: { description: 'Consecutive failed checks before a backend is taken out of rotation.', type: 'integer', minimum: 1, default: 3 },
            healthy_threshold: { description: 'Consecutive passed checks before a backend is put back.', type: 'integer', minimum: 1, default: 2 },
          },
        },
        connect_timeout_secs: {
          description: 'Seconds a connect to a backend may take; then the next healthy backend is tried.',
          type: 'number',
          exclusiveMinimum: 0,
          default: 5,
        },
        idle_timeout_secs: {
          description: 'Seconds without a byte in either direction after which both sides are closed.',
          type: 'number',
          exclusiveMinimum: 0,
          default: 3600,
        },
        max_connections: {
          description: 'Most client connections open at once on this listener; further ones are closed at once and counted.',
          type: 'integer',
          minimum: 1,
          default: 10000,
        },
        proxy_protocol: {
          description: "Send a PROXY protocol header (v1 text or v2 binary) to the backend first, carrying the client's address; none sends nothing.",
          enum: ['none', 'v1', 'v2'],
          default: 'none',
        },
        accept_proxy_protocol: {
          description: 'Read a PROXY protocol header (v1 or v2) from connections whose peer is in trusted_proxies and use the address in it as the client; connections from other peers are served as they are, their bytes untouched.',
          type: 'boolean',
          default: false,
        },
        sni_routes: {
          description: "TLS passthrough: the ClientHello's SNI name picks the backends (exact name, then *.wildcard covering one label); prox never terminates TLS. Connections with no or an unknown name go to backend_addrs/targets, or are closed when there are none.",
          type: 'object',
          additionalProperties: {
            description: 'Backends for this name, as IP:PORT or host:port.',
            type: 'array',
            minItems: 1,
            items: { description: 'A backend as IP:PORT, [IPv6]:PORT or host:port.', type: 'string', minLength: 1 },
          },
        },
      },
    },
    url: {
      description: 'Absolute http:// or https:// URL.',
      type: 'string',
      minLength: 1,
    },
    backend_target: {
      description: 'A backend: its URL (http:// or https://, may include a base path), or a mapping {url, weight}.',
      type: ['string', 'object'],
      minLength: 1,
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { $ref: '#/definitions/url' },
        weight: {
          description: 'Share of the traffic relative to the other targets (1-1000), used by weighted_round_robin, random, ip_hash and consistent_hash; the other strategies ignore it.',
          type: 'integer',
          minimum: 1,
          maximum: 1000,
          default: 1,
        },
      },
    },
    health_check: {
      description: 'Active health checking: every backend of the proxy and load_balance routes is probed in the background, and one that fails unhealthy_threshold probes in a row gets no traffic until it passes healthy_threshold probes in a row. At the top level it applies to all routes; inside a route it overrides the top-level block field by field (enabled: false turns checks off for that route). Without either block, backends are not probed.',
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: {
          description: 'Whether backends are probed. true whenever the block is present, unless set to false.',
          type: 'boolean',
          default: true,
        },
        interval_secs: {
          description: 'Seconds between two probes of the same backend (fractions allowed); each wait is shortened at random by up to jitter of it.',
          type: 'number',
          exclusiveMinimum: 0,
          default: 10,
        },
        timeout_secs: {
          description: 'Seconds a probe may take before it counts as failed (fractions allowed); should be below interval_secs.',
          type: 'number',
          exclusiveMinimum: 0,
          default: 2,
        },
        path: {
          description: "Request path probed on each backend unless backend_health_paths overrides it; starts with /. The backend URL's base path is prepended.",
          type: 'string',
          pattern: '^/',
          default: '/health',
        },
        method: {
          description: 'HTTP method of the probe.',
          type: 'string',
          enum: ['GET', 'HEAD'],
          default: 'GET',
        },
        unhealthy_threshold: {
          description: 'Consecutive failed probes before a backend is taken out of rotation.',
          type: 'integer',
          minimum: 1,
          default: 3,
        },
        healthy_threshold: {
          description: 'Consecutive successful probes before a backend is put back into rotation.',
          type: 'integer',
          minimum: 1,
          default: 2,
        },
        expected_status: {
          description: 'Status codes that make a probe pass: one code (200), or codes and ranges separated by commas ("200,204,300-399"), each from 100 to 599.',
          type: ['integer', 'string'],
          minimum: 100,
          maximum: 599,
          default: '200-399',
        },
        expected_body: {
          description: "Text the probe's response body must contain for the probe to pass; null (the default) does not look at the body.",
          type: ['string', 'null'],
          minLength: 1,
          default: null,
        },
        jitter: {
          description: 'Fraction (0-1) of interval_secs by which each wait between probes is shortened at random, so backends are not all probed at the same moment.',
          type: 'number',
          minimum: 0,
          maximum: 1,
          default: 0.1,
        },
      },
    },
    hash_key: {
      description: 'load_balance with strategy consistent_hash: what a request is hashed by. Defaults to the client address. ip_hash always uses the client address.',
      type: 'object',
      additionalProperties: false,
      properties: {
        by: {
          description: 'ip: the client address. header: the value of the header called name. cookie: the value of the cookie called name. Requests without the header or cookie are spread at random.',
          type: 'string',
          enum: ['ip', 'header', 'cookie'],
          default: 'ip',
        },
        name: {
          description: 'Header or cookie name; required for by: header and by: cookie, not allowed for by: ip.',
          type: 'string',
          pattern: HEADER_NAME_PATTERN,
        },
      },
      if: {
        required: ['by'],
        properties: { by: { enum: ['header', 'cookie'] } },
      },
      then: { required: ['name'] },
    },
    upstream_tls: {
      description: "prox extension, proxy/load_balance: how prox verifies its https:// backends (health checks use the same settings). At the top level: the default for every route, which a route's own upstream_tls overrides field by field. Without it a backend's certificate is verified against the system CAs and the target's host name, and that name is sent as SNI. Has no effect on http:// backends. The CA file is read at load: a changed file takes effect on reload.",
      type: 'object',
      additionalProperties: false,
      properties: {
        ca_path: {
          description: "PEM file of the CA certificate(s) trusted for the backends' certificates, instead of the system CAs (e.g. a private CA). A relative path resolves against the config file's directory.",
          type: 'string',
          minLength: 1,
        },
        server_name: {
          description: "Name sent as SNI and checked against the backend's certificate, instead of the target's host name (e.g. when the target is an IP address).",
          type: 'string',
          minLength: 1,
          pattern: '^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$',
        },
        insecure_skip_verify: {
          description: "true accepts ANY certificate from the backends (no chain or name check): traffic is encrypted but not authenticated, so anyone on the path can impersonate the backend. Logged as a warning at every load and flagged by prox validate. For tests and migrations only.",
          type: 'boolean',
          default: false,
        },
      },
    },
    passive_health: {
      description: 'prox extension, proxy/load_balance: passive health checking (outlier detection). A backend whose live requests fail consecutive_failures times in a row is ejected, getting no traffic, for ejection_secs; a repeat ejection lasts twice as long, up to max_ejection_secs. Connection errors, resets and timeouts count as failures; 5xx responses only with count_5xx. On unless enabled: false.',
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: {
          description: 'Whether backends are ejected after consecutive failures.',
          type: 'boolean',
          default: true,
        },
        consecutive_failures: {
          description: 'Failures in a row that eject a backend.',
          type: 'integer',
          minimum: 1,
          default: 5,
        },
        ejection_secs: {
          description: 'Length of a first ejection, seconds (fractions allowed).',
          type: 'number',
          exclusiveMinimum: 0,
          default: 30,
        },
        max_ejection_secs: {
          description: 'Longest ejection, seconds; at least ejection_secs.',
          type: 'number',
          exclusiveMinimum: 0,
          default: 300,
        },
        count_5xx: {
          description: 'Whether 5xx responses count as failures.',
          type: 'boolean',
          default: false,
        },
      },
    },
    circuit_breaker: {
      description: 'prox extension, proxy/load_balance: a circuit breaker for each backend of the route. After max_failures consecutive failures the circuit opens and the backend gets no requests for timeout_secs; then up to half_open_successes trial requests are let through at a time, and that many successes close the circuit while a failure opens it again. Off unless this block is present.',
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: {
          description: 'Whether the breaker is used. true whenever the block is present, unless set to false.',
          type: 'boolean',
          default: true,
        },
        max_failures: {
          description: 'Consecutive failures that open the circuit.',
          type: 'integer',
          minimum: 1,
          default: 5,
        },
        timeout_secs: {
          description: 'Seconds an open circuit stays open before trial requests are let through (fractions allowed).',
          type: 'number',
          exclusiveMinimum: 0,
          default: 30,
        },
        half_open_successes: {
          description: 'Successful trial requests needed to close the circuit; also how many trials may run at once.',
          type: 'integer',
          minimum: 1,
          default: 2,
        },
      },
    },
    websocket: {
      description: 'prox extension, proxy/load_balance: limits for WebSocket sessions on this route (docs/websocket.md). Upgrades are proxied whenever protocols.websocket_enabled is true; this block only tunes them.',
      type: 'object',
      additionalProperties: false,
      properties: {
        max_message_bytes: {
          description: 'Largest WebSocket message (all fragments together) accepted either way, bytes; a larger one closes the session with 1009 (message too big).',
          type: 'integer',
          minimum: 125,
          default: 16777216,
        },
        idle_timeout_secs: {
          description: 'A session in which no frame passed either way for this many seconds is closed with 1001 (going away). Fractions allowed.',
          type: 'number',
          exclusiveMinimum: 0,
          default: 300,
        },
        reload_grace_secs: {
          description: 'After a reload that removes this route or the backend a session is connected to, the session keeps running this many seconds, then is closed with 1001 (going away). Sessions whose route and backend remain are not touched. 0 closes them at once; fractions allowed.',
          type: 'number',
          minimum: 0,
          default: 5,
        },
        allowed_origins: {
          description: 'Origin header values (scheme://host[:port], compared case-insensitively) allowed to open a session; an upgrade with any other Origin, or none, is answered 403 before a backend is contacted. Unset: any Origin.',
          type: 'array',
          minItems: 1,
          items: { type: 'string', minLength: 1, description: 'An origin, e.g. https://app.example.com.' },
        },
      },
    },
    retries: {
      description: 'prox extension, proxy/load_balance: when and how often a failed request is sent again. Without this block: one retry, on connection errors only.',
      type: 'object',
      additionalProperties: false,
      properties: {
        attempts: {
          description: 'Retries after the first attempt (0-10); 0 never retries.',
          type: 'integer',
          minimum: 0,
          maximum: 10,
          default: 1,
        },
        on: {
          description: 'Failures that are retried: connect_error (no connection could be made), reset (the connection broke before the response head arrived), 502, 503, 504 (the backend answered with that status).',
          type: 'array',
          items: {
            description: 'connect_error, reset, 502, 503 or 504.',
            enum: ['connect_error', 'reset', 502, 503, 504, '502', '503', '504'],
          },
          default: ['connect_error'],
        },
        backoff_ms: {
          description: 'Milliseconds to wait before each retry.',
          type: 'integer',
          minimum: 0,
          default: 0,
        },
      },
    },
    route: {
      description: 'One route. The type field decides which other fields apply.',
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: {
          description: 'What the route does: proxy (one backend), load_balance (several backends), redirect, or static (files from a directory).',
          type: 'string',
          enum: ['proxy', 'load_balance', 'redirect', 'static'],
        },
        target: {
          description: 'proxy: backend URL (http:// or https://). redirect: absolute http(s) URL or a path starting with / to send the client to.',
          type: 'string',
          minLength: 1,
        },
        targets: {
          description: 'load_balance: backends sharing the traffic, each a URL (http:// or https://) or {url, weight}. A URL may appear only once.',
          type: 'array',
          minItems: 1,
          items: { $ref: '#/definitions/backend_target' },
        },
        strategy: {
          description: 'load_balance: how the next backend is picked. round_robin: each in turn. weighted_round_robin: in turn, in proportion to weight. least_connections: fewest requests in flight plus open WebSocket sessions. random: at random, in proportion to weight. power_of_two: the less busy of two picked at random. ip_hash: by the client address, so a client keeps its backend. consistent_hash: by hash_key on a hash ring, so few keys move when backends come and go.',
          type: 'string',
          enum: [
            'round_robin',
            'weighted_round_robin',
            'least_connections',
            'random',
            'power_of_two',
            'ip_hash',
            'consistent_hash',
          ],
          default: 'round_robin',
        },
        hash_key: { $ref: '#/definitions/hash_key' },
        status_code: {
          description: 'redirect: HTTP status sent with the redirect.',
          type: 'integer',
          enum: [301, 302, 307, 308],
          default: 307,
        },
        root: {
          description: "static: directory files are served from; a relative path is resolved against the config file's directory. Must exist and be a directory. A request for <prefix>/a/b.css is served from <root>/a/b.css; nothing outside root (after resolving symlinks) is ever served.",
          type: 'string',
          minLength: 1,
        },
        index: {
          description: 'prox extension, static: file name(s) tried in order when a directory is requested (a path ending in /). A directory without any of them answers 404: listings are never generated.',
          type: ['string', 'array'],
          minLength: 1,
          pattern: FILE_NAME_PATTERN,
          minItems: 1,
          items: { $ref: '#/definitions/static_file_name' },
          default: ['index.html'],
        },
        fallback: {
          description: 'prox extension, static: path of a file under root (e.g. /index.html) served with 200 to GET and HEAD requests that match no file, like try_files $uri $uri/ /index.html (single-page apps). Refused paths (outside root, dotfiles) still get 404.',
          type: 'string',
          pattern: '^/[^?#\\u0000\\\\]*[^/?#\\u0000\\\\]$',
        },
        allow_dotfiles: {
          description: 'prox extension, static: serve files and directories whose name starts with a dot (.env, .git, .well-known). Off: they answer 404 as if absent.',
          type: 'boolean',
          default: false,
        },
        precompressed: {
          description: "prox extension, static: serve file.br or file.gz (next to file) to clients whose Accept-Encoding accepts br or gzip (Brotli preferred), with Content-Encoding, the original file's Content-Type and Vary: Accept-Encoding.",
          type: 'boolean',
          default: false,
        },
        cache_control: {
          description: 'prox extension, static: Cache-Control header value sent with file answers (200, 206, 304), e.g. "public, max-age=3600". Unset: none is sent.',
          type: 'string',
          minLength: 1,
          pattern: '^[^\\u0000-\\u001f\\u007f]+$',
        },
        path_rewrite: {
          description: 'proxy/load_balance: replaces the matched route prefix before forwarding, e.g. prefix /api with path_rewrite / sends /api/users upstream as /users. Starts with /.',
          type: 'string',
          pattern: '^/[^?#\\s]*$',
        },
        strip_prefix: {
          description: 'prox extension, proxy/load_balance: true removes the matched prefix before forwarding (same as path_rewrite: /). Cannot be combined with path_rewrite.',
          type: 'boolean',
          default: false,
        },
        preserve_host: {
          description: "prox extension, proxy/load_balance: forward the client's Host header instead of the backend's host.",
          type: 'boolean',
          default: false,
        },
        timeout_secs: {
          description: "prox extension, proxy/load_balance: seconds to wait for the backend's response headers, retries included; also the longest pause allowed between two chunks of the response body. Fractions allowed.",
          type: 'number',
          exclusiveMinimum: 0,
          default: 60,
        },
        connect_timeout_secs: {
          description: 'prox extension, proxy/load_balance: seconds to wait for the TCP/TLS connection to the backend. Fractions allowed.',
          type: 'number',
          exclusiveMinimum: 0,
          default: 5,
        },
        health_check: { $ref: '#/definitions/health_check' },
        upstream_tls: { $ref: '#/definitions/upstream_tls' },
        passive: { $ref: '#/definitions/passive_health' },
        circuit_breaker: { $ref: '#/definitions/circuit_breaker' },
        retries: { $ref: '#/definitions/retries' },
        retry_buffer_bytes: {
          description: 'prox extension, proxy/load_balance: a request body up to this many bytes is kept so the request can be retried; a request with a larger body is not retried once its body has started to go upstream.',
          type: 'integer',
          minimum: 0,
          default: 65536,
        },
        min_healthy_percent: {
          description: "prox extension, proxy/load_balance: panic threshold. When fewer than this percentage of the route's backends are available (healthy, not ejected, circuit not open), health is ignored and all backends get traffic. 0 turns it off.",
          type: 'integer',
          minimum: 0,
          maximum: 100,
          default: 0,
        },
        access_log: {
          description: "prox extension, every route type: false leaves this route's requests out of the access log (e.g. a noisy health endpoint). Has no effect when the top-level access_log.enabled is false.",
          type: 'boolean',
          default: true,
        },
        websocket: { $ref: '#/definitions/websocket' },
        errors: { $ref: '#/definitions/error_pages' },
        rate_limit: { $ref: '#/definitions/rate_limit' },
        request_headers: { $ref: '#/definitions/header_actions' },
        response_headers: { $ref: '#/definitions/header_actions' },
        request_body: { $ref: '#/definitions/body_actions' },
        response_body: { $ref: '#/definitions/body_actions' },
        ip_filter: { $ref: '#/definitions/ip_filter' },
        cors: { $ref: '#/definitions/cors' },
        compression: { $ref: '#/definitions/compression' },
        auth: { $ref: '#/definitions/auth' },
      },
      allOf: [
        {
          if: {
            required: ['type'],
            properties: { type: { const: 'proxy' } },
          },
          then: {
            required: ['target'],
            properties: {
              targets: false,
              strategy: false,
              hash_key: false,
              status_code: false,
              index: false,
              fallback: false,
              allow_dotfiles: false,
              precompressed: false,
              cache_control: false,
              root: false,
            },
          },
        },
        {
          if: {
            required: ['type'],
            properties: { type: { const: 'load_balance' } },
          },
          then: {
            required: ['targets'],
            properties: {
              target: false,
              status_code: false,
              index: false,
              fallback: false,
              allow_dotfiles: false,
              precompressed: false,
              cache_control: false,
              root: false,
            },
          },
        },
        {
          if: {
            required: ['type'],
            properties: { type: { const: 'redirect' } },
          },
          then: {
            required: ['target'],
            properties: {
              targets: false,
              strategy: false,
              hash_key: false,
              index: false,
              fallback: false,
              allow_dotfiles: false,
              precompressed: false,
              cache_control: false,
              root: false,
              path_rewrite: false,
              strip_prefix: false,
              preserve_host: false,
              timeout_secs: false,
              connect_timeout_secs: false,
              health_check: false,
              upstream_tls: false,
              passive: false,
              circuit_breaker: false,
              retries: false,
              retry_buffer_bytes: false,
              min_healthy_percent: false,
              websocket: false,
              request_headers: false,
              response_headers: false,
              request_body: false,
              response_body: false,
            },
          },
        },
        {
          if: {
            required: ['type'],
            properties: { type: { const: 'static' } },
          },
          then: {
            required: ['root'],
            properties: {
              target: false,
              targets: false,
              strategy: false,
              hash_key: false,
              status_code: false,
              path_rewrite: false,
              strip_prefix: false,
              preserve_host: false,
              timeout_secs: false,
              connect_timeout_secs: false,
              health_check: false,
              upstream_tls: false,
              passive: false,
              circuit_breaker: false,
              retries: false,
              retry_buffer_bytes: false,
              min_healthy_percent: false,
              websocket: false,
              request_headers: false,
              response_headers: false,
              request_body: false,
              response_body: false,
            },
          },
        },
      ],
    },
    error_pages: {
      description: "prox extension. Bodies for the error answers prox makes itself (404 no route, 502/503/504 backend trouble, 413, 429, ...), keyed by status code. At the top level they apply to every route; a route's own errors block replaces single codes of it. Responses that come from a backend are passed through unchanged. Changes apply on reload.",
      type: 'object',
      propertyNames: {
        description: 'An HTTP error status, 400 to 599.',
        pattern: '^[45][0-9][0-9]$',
      },
      additionalProperties: { $ref: '#/definitions/error_page' },
    },
    error_page: {
      description: 'One error body: its type and either an inline body or a file.',
      type: 'object',
      additionalProperties: false,
      properties: {
        type: {
          description: 'Content type of the body: json (application/json), html (text/html; charset=utf-8) or text (text/plain; charset=utf-8).',
          type: 'string',
          enum: ['json', 'html', 'text'],
          default: 'json',
        },
        body: {
          description: 'The body, inline. For type json it may also be written as a YAML mapping or list, sent as JSON; a string must then be valid JSON. Exactly one of body and file.',
          type: ['string', 'object', 'array'],
        },
        file: {
          description: 'File holding the body, read when the config is loaded or reloaded (at most 1 MiB); a relative path is taken relative to the directory of the config file. Exactly one of body and file.',
          type: 'string',
          minLength: 1,
        },
      },
    },
    static_file_name: {
      description: 'A file name inside the requested directory, e.g. index.html: no / or \\, not . or ..',
      type: 'string',
      minLength: 1,
      pattern: FILE_NAME_PATTERN,
    },
    rate_limit: {
      description: 'Per-route request rate limit, counted per client address, header value or for the whole route. Limits are per prox process. See docs/rate-limiting.md.',
      type: 'object',
      additionalProperties: false,
      required: ['by', 'requests', 'period'],
      properties: {
        by: {
          description: 'What a limit is counted per: ip (client address, through trusted_proxies), header (value of header_name), or route (all clients together).',
          type: 'string',
          enum: ['ip', 'header', 'route'],
        },
        header_name: {
          description: 'Header whose value identifies the client (case-insensitive); required when by is header.',
          type: 'string',
          pattern: HEADER_NAME_PATTERN,
        },
        requests: {
          description: 'Requests allowed per period (for token_bucket: the refill rate, and the bucket size unless burst is set).',
          type: 'integer',
          minimum: 1,
        },
        period: {
          description: 'Length of the window: a whole number followed by s, m or h, e.g. 30s, 5m, 1h (at most 744h).',
          type: 'string',
          pattern: '^[1-9][0-9]*[smh]$',
        },
        status_code: {
          description: 'Status sent when the limit is hit (4xx or 5xx).',
          type: 'integer',
          minimum: 400,
          maximum: 599,
          default: 429,
        },
        message: {
          description: 'Body sent as text/plain when the limit is hit. Without it prox sends its JSON error {"error":"rate_limited","status":429}.',
          type: 'string',
        },
        algorithm: {
          description: 'Counting algorithm: token_bucket (continuous refill, bursts up to burst), fixed_window (per aligned window), sliding_window (previous window weighted by its share of the sliding period).',
          type: 'string',
          enum: ['token_bucket', 'fixed_window', 'sliding_window'],
          default: 'token_bucket',
        },
        on_missing_key: {
          description: 'When by is header and the header is absent: allow the request without limiting it, or deny it with status_code.',
          type: 'string',
          enum: ['allow', 'deny'],
          default: 'allow',
        },
        burst: {
          description: 'prox extension, token_bucket only: bucket size (requests that may come at once), at least 1. Default: requests.',
          type: 'integer',
        },
        mode: {
          description: 'prox extension: enforce refuses requests over the limit; shadow only counts and logs them (metric prox_rate_limit_shadow_hits_total) and still sends the RateLimit headers.',
          type: 'string',
          enum: ['enforce', 'shadow'],
          default: 'enforce',
        },
        max_keys: {
          description: 'prox extension: most keys (addresses, header values) tracked at once; beyond it the least recently used key is forgotten and starts again with a full quota.',
          type: 'integer',
          minimum: 1,
          maximum: 10000000,
          default: 100000,
        },
      },
      if: { required: ['by'], properties: { by: { const: 'header' } } },
      then: { required: ['header_name'] },
    },
    header_actions: {
      description: "proxy/load_balance: header edits. request_headers: the request sent upstream, applied after prox's own headers (Host, X-Forwarded-*, request id) so it can override them. response_headers: every answer sent to the client on the route, the upstream's and prox's own errors (502, 503, 504) alike. Within a block, remove runs first, then add, then append; a block is applied only when its condition matches. prox extension: a list of such blocks, each with its own condition, applied in order. Content-Length, Transfer-Encoding and hop-by-hop headers (Connection, Keep-Alive, TE, Trailer, Upgrade, Proxy-Connection) cannot be edited.",
      type: ['object', 'array'],
      minItems: 1,
      items: { $ref: '#/definitions/header_rule' },
      additionalProperties: false,
      properties: HEADER_RULE_FIELDS,
    },
    header_rule: {
      description: 'One block of header edits: remove, then add, then append, when condition matches (always without one).',
      type: 'object',
      additionalProperties: false,
      properties: HEADER_RULE_FIELDS,
    },
    header_set: {
      description: "Headers to set, name to value: every existing header of that name (any letter case) is replaced by this one. Values may use placeholders {client_ip}, {timestamp}, {timestamp_iso}, {request_id}, {host}, {uri_path}, {method}, {route}; write {{ and }} for literal braces. In request rules, Host may be set (it wins over preserve_host) and prox's own X-Forwarded-* headers may be overridden.",
      type: 'object',
      propertyNames: { pattern: HEADER_NAME_PATTERN },
      additionalProperties: HEADER_VALUE,
    },
    header_append: {
      description: 'prox extension. Headers to add as one more line, name to value, keeping any existing header of that name (e.g. another Set-Cookie or Via). Same placeholders as add.',
      type: 'object',
      propertyNames: { pattern: HEADER_NAME_PATTERN },
      additionalProperties: HEADER_VALUE,
    },
    header_name_list: {
      description: 'Header names to delete, in any letter case; every header of each name is removed.',
      type: 'array',
      items: {
        description: 'Header name.',
        type: 'string',
        pattern: HEADER_NAME_PATTERN,
      },
    },
    body_actions: {
      description: "proxy/load_balance: replaces the whole body of the request sent upstream (request_body; a request without a body gets one, the client's own body is read and discarded) or of the answer sent to the client (response_body; never for 204 and 304, HEAD gets the headers only) when condition matches; Content-Length and Content-Type are set to match, and bodies that do not match stream through untouched. Exactly one of set_text and set_json. prox extension: a list of such blocks; the first whose condition matches is used.",
      type: ['object', 'array'],
      minItems: 1,
      items: { $ref: '#/definitions/body_rule' },
      additionalProperties: false,
      properties: BODY_RULE_FIELDS,
    },
    body_rule: {
      description: 'One body replacement: exactly one of set_text and set_json, used when condition matches (always without one).',
      type: 'object',
      additionalProperties: false,
      properties: BODY_RULE_FIELDS,
    },
    set_text: {
      description: 'Replace the whole body with this text, sent as UTF-8 with Content-Type: text/plain; charset=utf-8. Taken literally (no placeholders). Cannot be combined with set_json.',
      type: 'string',
    },
    set_json: {
      description: 'Replace the whole body with this value serialised as JSON, sent with Content-Type: application/json. Cannot be combined with set_text.',
    },
    condition: {
      description: "When the rule applies; every field given must match (no condition: always). path_matches and method_is test the client's request; has_header tests the client's request in request rules and the upstream response's headers in response rules.",
      type: 'object',
      additionalProperties: false,
      properties: {
        path_matches: {
          description: 'Regular expression (JavaScript syntax) searched in the request path as the client sent it, after . and .. segments are resolved, before path_rewrite, without the query string; anchor it with ^ and $ to match the whole path.',
          type: 'string',
        },
        method_is: {
          description: 'Request method that must match, e.g. POST (letter case ignored); prox extension: a list of methods, any of which matches.',
          type: ['string', 'array'],
          pattern: '^[A-Za-z]+$',
          minItems: 1,
          items: {
            description: 'HTTP method.',
            type: 'string',
            pattern: '^[A-Za-z]+$',
          },
        },
        has_header: {
          description: "Header that must be present: in request rules on the client's request, in response rules on the upstream's response (as received, before any rule).",
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: {
              description: 'Header name; letter case ignored.',
              type: 'string',
              pattern: HEADER_NAME_PATTERN,
            },
            value_matches: {
              description: 'Regular expression (JavaScript syntax) searched in each value of the header; the condition holds if any value matches. Any value when omitted.',
              type: 'string',
            },
          },
        },
        status: {
          description: "prox extension, response rules only: status of the answer sent to the client (the upstream's, or prox's own error such as 502), as a code (404), a string of codes and ranges (\"500-599\" or \"404,500-599\"), or a list of either.",
          type: ['integer', 'string', 'array'],
          minimum: 100,
          maximum: 599,
          minItems: 1,
          items: {
            description: 'A status code, or a string of codes and ranges such as "500-599".',
            type: ['integer', 'string'],
            minimum: 100,
            maximum: 599,
          },
        },
      },
    },
    acme: {
      description: "Automatic certificates from an ACME CA such as Let's Encrypt (RFC 8555): ordered at start-up when no valid stored certificate covers the domains, renewed before expiry, swapped in without a restart. Validated by TLS-ALPN-01 on listen_addr or HTTP-01 on tls.http_listen_addr.",
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: {
          description: 'Whether certificates are obtained and renewed automatically. false: the block is ignored (without certificate files listen_addr then serves plain HTTP).',
          type: 'boolean',
          default: false,
        },
        domains: {
          description: 'DNS names on the certificate (no IP addresses, no wildcards: those need DNS-01, which prox does not do); the first is the primary name. Required when enabled.',
          type: 'array',
          items: {
            description: 'Domain name.',
            type: 'string',
            minLength: 1,
          },
        },
        email: {
          description: 'Contact address for the ACME account. Required when enabled.',
          type: 'string',
          format: 'email',
        },
        staging: {
          description: "Use Let's Encrypt's staging directory (for testing; certificates are not trusted). Ignored when ca_url is set.",
          type: 'boolean',
          default: false,
        },
        ca_url: {
          description: "ACME directory URL; overrides staging. Defaults to Let's Encrypt production.",
          type: 'string',
          format: 'uri',
        },
        storage_path: {
          description: "Directory for the account key and issued certificates (created 0700; keys 0600). Relative paths resolve against the config file's directory.",
          type: 'string',
          minLength: 1,
          default: './acme_storage',
        },
        renewal_days_before_expiry: {
          description: 'Renew a certificate this many days before it expires (1-89); for short-lived certificates at the latest 2/3 into their lifetime.',
          type: 'integer',
          minimum: 1,
          maximum: 89,
          default: 30,
        },
        challenge: {
          description: 'prox extension: how the CA validates the names. auto: HTTP-01 when tls.http_listen_addr is set, else TLS-ALPN-01 on listen_addr; tls-alpn-01 needs the CA to reach listen_addr on port 443; http-01 needs tls.http_listen_addr on port 80.',
          enum: ['auto', 'tls-alpn-01', 'http-01'],
          default: 'auto',
        },
        ca_root_path: {
          description: "prox extension: PEM file of the root that signs a private ACME CA's HTTPS endpoint (step-ca, Pebble); the system roots otherwise.",
          type: 'string',
          minLength: 1,
        },
        eab: {
          description: 'prox extension: external account binding (ZeroSSL, Google Trust Services): the key id and the base64url HMAC key the CA gave you.',
          type: 'object',
          additionalProperties: false,
          required: ['kid', 'hmac_key'],
          properties: {
            kid: {
              description: 'Key identifier.',
              type: 'string',
              minLength: 1,
            },
            hmac_key: {
              description: 'base64url HMAC key; redacted wherever prox shows the config.',
              type: 'string',
              minLength: 1,
            },
          },
        },
      },
      if: {
        required: ['enabled'],
        properties: { enabled: { const: true } },
      },
      then: {
        required: ['domains', 'email'],
        properties: { domains: { minItems: 1 } },
      },
    },
    ip_filter: {
      description: "prox extension, every route type (WebSocket upgrades included): admit requests by client address, which is the connection's peer or, from trusted_proxies, the X-Forwarded-For entry they vouch for. deny wins over allow; when allow is set, addresses outside it are refused too. A refused request gets 403 (the route's error page for 403 when configured) and never reaches a backend. IPv4 clients seen as ::ffff:a.b.c.d match IPv4 ranges. See docs/policies.md.",
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        allow: {
          description: 'Addresses or CIDR ranges (IPv4 or IPv6, e.g. 10.0.0.0/8, 2001:db8::/32) that may use the route; unset: every address not denied.',
          type: 'array',
          minItems: 1,
          items: { $ref: '#/definitions/address_range' },
        },
        deny: {
          description: 'Addresses or CIDR ranges refused even when allow matches them.',
          type: 'array',
          minItems: 1,
          items: { $ref: '#/definitions/address_range' },
        },
      },
    },
    cors: {
      description: "prox extension, every route type: answer CORS at the edge. A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered with 204 here and never reaches the backend; other requests from an allowed origin get Access-Control-Allow-Origin (and -Credentials, -Expose-Headers) on every answer, the backend's own Access-Control-* headers being replaced. An origin not listed gets no CORS headers. Vary: Origin is always sent. See docs/policies.md.",
      type: 'object',
      additionalProperties: false,
      required: ['allow_origins'],
      properties: {
        allow_origins: {
          description: 'Origins allowed, each scheme://host[:port] (compared case-insensitively), or ["*"] for any origin (not with allow_credentials).',
          type: 'array',
          minItems: 1,
          items: { description: 'An origin such as https://app.example.com, or *.', type: 'string', minLength: 1 },
        },
        allow_methods: {
          description: 'Methods a preflight allows (Access-Control-Allow-Methods).',
          type: 'array',
          minItems: 1,
          items: { description: 'An HTTP method, e.g. GET.', type: 'string', pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' },
          default: ['GET', 'HEAD', 'POST'],
        },
        allow_headers: {
          description: 'Request headers a preflight allows (Access-Control-Allow-Headers); ["*"] echoes whatever the preflight asks for.',
          type: 'array',
          items: { description: 'A header name.', type: 'string', minLength: 1 },
          default: [],
        },
        expose_headers: {
          description: 'Response headers scripts may read (Access-Control-Expose-Headers).',
          type: 'array',
          items: { description: 'A header name.', type: 'string', minLength: 1 },
          default: [],
        },
        allow_credentials: {
          description: 'Send Access-Control-Allow-Credentials: true (cookies, Authorization). The allowed origin is then echoed; "*" with credentials is refused by validation.',
          type: 'boolean',
          default: false,
        },
        max_age_secs: {
          description: 'How long a browser may cache a preflight answer (Access-Control-Max-Age). Unset: not sent.',
          type: 'integer',
          minimum: 0,
          maximum: 86400,
        },
      },
    },
    compression: {
      description: "prox extension, proxy/load_balance/static: compress responses on the fly with the best coding the client's Accept-Encoding (q-values) accepts. Streams (never buffers a whole body) with backpressure. Skipped for HEAD, 204/206/304, responses already encoded, Content-Range, Cache-Control: no-transform, a Content-Length under min_bytes, and types not listed. Adds Vary: Accept-Encoding and weakens a strong ETag. See docs/policies.md.",
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: {
          description: 'Compress on this route.',
          type: 'boolean',
          default: true,
        },
        algorithms: {
          description: 'Codings offered, in order of preference when the client accepts several equally. zstd needs Node 22.15+ (Node 20 has no zstd in zlib): elsewhere it is skipped, with a validate warning.',
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { description: 'A content coding.', type: 'string', enum: ['zstd', 'br', 'gzip'] },
          default: ['br', 'gzip'],
        },
        min_bytes: {
          description: 'Responses whose Content-Length is below this stay uncompressed (a streamed response of unknown length is compressed).',
          type: 'integer',
          minimum: 0,
          default: 1024,
        },
        types: {
          description: 'Media types compressed; an entry ending in /* matches the whole family (text/*).',
          type: 'array',
          minItems: 1,
          items: { description: 'A media type such as application/json, or text/*.', type: 'string', pattern: '^[A-Za-z0-9!#$&^_.+-]+/([A-Za-z0-9!#$&^_.+-]+|\\*)$' },
          default: ['text/*', 'application/json', 'application/javascript', 'application/xml', 'image/svg+xml'],
        },
      },
    },
    auth: {
      description: "prox extension, every route type: authenticate requests at the edge before anything else of the route runs (CORS preflights excepted). A failed check answers 401 with WWW-Authenticate (the route's error page for 401 when configured). One scheme per route. See docs/policies.md.",
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      properties: {
        basic: {
          description: 'HTTP Basic authentication against an htpasswd file of bcrypt hashes.',
          type: 'object',
          additionalProperties: false,
          required: ['users_file'],
          properties: {
            realm: AUTH_REALM,
            users_file: {
              description: 'htpasswd file, one user:hash per line (# comments and blank lines ignored), bcrypt hashes only ($2a$, $2b$, $2y$; e.g. htpasswd -B). Relative to the config file; read again on every reload.',
              type: 'string',
              minLength: 1,
            },
            forward_credentials: {
              description: 'Keep the Authorization header on requests sent upstream. Off: prox removes it once checked.',
              type: 'boolean',
              default: false,
            },
          },
        },
        forward: {
          description: 'Forward auth: ask an auth service about each request (GET to url with the copied headers and X-Forwarded-Method/-Proto/-Host/-Uri/-For). A 2xx lets the request through with copy_response_headers taken from the answer; any other answer goes back to the client as is; no answer within timeout_secs (down, refused) is 503, never a pass.',
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: {
              description: 'The check endpoint, http:// or https://.',
              type: 'string',
              pattern: '^https?://',
            },
            copy_request_headers: {
              description: "Client request headers sent to the auth service.",
              type: 'array',
              items: { description: 'A header name.', type: 'string', pattern: HEADER_NAME_PATTERN },
              default: ['Cookie', 'Authorization'],
            },
            copy_response_headers: {
              description: "Headers of the auth service's 2xx answer put on the request sent upstream (copies the client sent are removed first, so they cannot be forged).",
              type: 'array',
              items: { description: 'A header name.', type: 'string', pattern: HEADER_NAME_PATTERN },
              default: [],
            },
            timeout_secs: {
              description: 'Longest wait for the whole answer of the auth service; past it the request gets 503.',
              type: 'number',
              exclusiveMinimum: 0,
              maximum: 60,
              default: 2,
            },
            forward_credentials: {
              description: 'Keep the Authorization header on requests sent upstream. Off: prox removes it once the check passed.',
              type: 'boolean',
              default: false,
            },
          },
        },
        jwt: {
          description: "JWT bearer tokens checked against the identity provider's JSON Web Key Set: signature, exp (required) and nbf with leeway_secs, issuer, audience, and an allowed algorithm (asymmetric only: never none, never HS*). Failures answer 401 with WWW-Authenticate: Bearer; keys that cannot be fetched at all answer 503.",
          type: 'object',
          additionalProperties: false,
          required: ['jwks_url', 'issuer', 'audience'],
          properties: {
            jwks_url: {
              description: 'Absolute http:// or https:// URL of the JSON Web Key Set. Fetched on first use, again in the background when older than jwks_cache_secs, and when a token names an unknown kid (at most once per 30 s); a failed fetch keeps the keys already fetched.',
              type: 'string',
              pattern: '^https?://',
            },
            issuer: {
              description: 'The iss claim every token must carry, exactly.',
              type: 'string',
              minLength: 1,
            },
            audience: {
              description: 'The aud claim every token must carry (or list): the name this service is known by at the identity provider.',
              type: 'string',
              minLength: 1,
            },
            algorithms: {
              description: 'Accepted alg values. Asymmetric algorithms only: none and the HMAC family (HS256...) are refused, since a public key set must never turn into a shared secret.',
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { description: 'A JWS algorithm.', type: 'string', enum: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] },
              default: ['RS256', 'ES256'],
            },
            leeway_secs: {
              description: 'Clock skew tolerated on exp and nbf.',
              type: 'integer',
              minimum: 0,
              maximum: 300,
              default: 30,
            },
            jwks_cache_secs: {
              description: 'Keys older than this are fetched again in the background while still in use.',
              type: 'integer',
              minimum: 30,
              maximum: 86400,
              default: 600,
            },
            claims_to_headers: {
              description: 'Claims put on the request sent upstream as headers, claim: Header-Name (e.g. sub: X-User). Strings are copied, other values as JSON; bytes outside visible ASCII (CR, LF, controls, non-ASCII) are percent-encoded. Copies the client sent of these headers are always removed.',
              type: 'object',
              propertyNames: { minLength: 1 },
              additionalProperties: { description: 'A header name.', type: 'string', pattern: HEADER_NAME_PATTERN },
              default: {},
            },
            token_cookie: {
              description: 'Cookie holding the token when the request has no Authorization header (browser sessions). Absent: Authorization: Bearer only.',
              type: 'string',
              pattern: HEADER_NAME_PATTERN,
            },
            realm: AUTH_REALM,
            forward_credentials: {
              description: 'Keep the Authorization header on requests sent upstream. Off: prox removes it once the token verified.',
              type: 'boolean',
              default: false,
            },
          },
        },
      },
    },
    address_range: {
      description: 'An IP address or CIDR range, e.g. 192.0.2.7, 10.0.0.0/8, 2001:db8::/32.',
      type: 'string',
      minLength: 1,
    },
  },
} as const satisfies JSONSchema;
