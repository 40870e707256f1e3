/**
 * URL rules shared by backend targets, health-check backends and redirect targets.
 * Each returns a problem description, or null when the value is fine.
 */

export interface UrlProblem {
  readonly message: string;
  readonly hint: string;
}

const SCHEME_HINT = 'Ensure all URLs start with http:// or https://';

export function backendUrlProblem(value: string): UrlProblem | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    return { message: `"${value}" is not an absolute URL`, hint: SCHEME_HINT };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { message: `"${value}" is not a valid URL`, hint: SCHEME_HINT };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { message: `"${value}" uses ${url.protocol.slice(0, -1)}://; only http and https backends are supported`, hint: SCHEME_HINT };
  }
  if (url.hostname === '') return { message: `"${value}" has no host`, hint: SCHEME_HINT };
  return null;
}

/** Redirects may also be same-site paths; control characters would let the target split the Location header. */
export function redirectTargetProblem(value: string): UrlProblem | null {
  // eslint-disable-next-line no-control-regex -- control characters are what this rejects
  if (/[\u0000-\u001f\u007f\s]/.test(value)) {
    return {
      message: 'redirect target contains whitespace or control characters',
      hint: 'percent-encode them, e.g. %20 for a space',
    };
  }
  if (value.startsWith('//')) {
    return {
      message: `"${value}" is a protocol-relative URL`,
      hint: 'write the scheme explicitly (https://host/...) or use a path starting with a single /',
    };
  }
  if (value.startsWith('/')) return null;
  const problem = backendUrlProblem(value);
  return problem ? { message: problem.message, hint: 'use an absolute http(s):// URL or a path starting with /' } : null;
}

/**
 * The form backend URLs are compared and stored in: one trailing `/` removed, so a
 * `backend_health_paths` key and a route target match whether or not either ends in `/`.
 */
export function backendUrlKey(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
