import type { CircuitBreakerSpec, HealthCheckSpec, PassiveHealthSpec, RetrySpec } from '../../../src/config/model';

/** A health check as the loader would produce it, with small round numbers for tests. */
export function healthCheckSpec(overrides: Partial<HealthCheckSpec> = {}): HealthCheckSpec {
  return {
    intervalSecs: 10,
    timeoutSecs: 2,
    path: '/health',
    method: 'GET',
    unhealthyThreshold: 3,
    healthyThreshold: 2,
    expectedStatus: [{ from: 200, to: 399 }],
    expectedBody: null,
    jitter: 0,
    ...overrides,
  };
}

export function passiveSpec(overrides: Partial<PassiveHealthSpec> = {}): PassiveHealthSpec {
  return { enabled: true, consecutiveFailures: 3, ejectionSecs: 10, maxEjectionSecs: 35, count5xx: false, ...overrides };
}

export function breakerSpec(overrides: Partial<CircuitBreakerSpec> = {}): CircuitBreakerSpec {
  return { maxFailures: 3, timeoutSecs: 10, halfOpenSuccesses: 2, ...overrides };
}

export function retrySpec(overrides: Partial<RetrySpec> = {}): RetrySpec {
  return { attempts: 1, on: ['connect_error'], backoffMs: 0, bufferBytes: 65536, ...overrides };
}
