import type { StaticRoute } from '../model';
import type { HeadSettings } from './response-plan';

/** A static route's settings in the form the request path uses them. */
export interface StaticSettings {
  /** Absolute directory, as configured (its real path is resolved per request, so a deploy may swap a symlink). */
  readonly root: string;
  /** File names tried, in order, for a request in directory form. */
  readonly index: readonly string[];
  /** Segments of the file served when nothing matches; null: plain 404. */
  readonly fallback: readonly string[] | null;
  readonly allowDotfiles: boolean;
  readonly precompressed: boolean;
  /** What every file answer of the route carries (Cache-Control, Vary). */
  readonly head: HeadSettings;
}

export function compileStaticSettings(route: StaticRoute): StaticSettings {
  return {
    root: route.root,
    index: route.index,
    // A file path written by the operator: taken literally, never percent-decoded. The config
    // checks refuse `.`/`..` segments, so splitting is all that is left.
    fallback: route.fallback === null ? null : route.fallback.split('/').filter((segment) => segment.length > 0),
    allowDotfiles: route.allowDotfiles,
    precompressed: route.precompressed,
    head: { cacheControl: route.cacheControl, varyByEncoding: route.precompressed },
  };
}
