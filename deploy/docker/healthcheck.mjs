// HEALTHCHECK of the container image: exit 0 when the admin listener's /healthz answers 200.
// PROX_HEALTHCHECK_URL overrides the address (default: the admin listener of deploy/docker/config.yaml).
const url = process.env.PROX_HEALTHCHECK_URL ?? 'http://127.0.0.1:9901/healthz';
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
