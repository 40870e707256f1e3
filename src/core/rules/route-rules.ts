import type { MessageRulesSpec } from '../model';
import { BodyRuleSet } from './body-rules';
import { HeaderRuleSet } from './header-rules';
import { headerSafe } from './template';

/**
 * A route's header and body rules, compiled once per config load: regular expressions built,
 * templates split, bodies encoded. A stage without rules is null, and a route without any
 * rule has no RouteRules at all, so the request path pays a single null check.
 */
export class RouteRules {
  private constructor(
    readonly requestHeaders: HeaderRuleSet | null,
    readonly responseHeaders: HeaderRuleSet | null,
    readonly requestBody: BodyRuleSet | null,
    readonly responseBody: BodyRuleSet | null,
    /** The route key as a header value, for `{route}`. */
    readonly routeLabel: string,
    readonly isTrustedPeer: (address: string) => boolean,
  ) {}

  static compile(spec: MessageRulesSpec, routeKey: string, isTrustedPeer: (address: string) => boolean): RouteRules | null {
    const requestHeaders = HeaderRuleSet.compile(spec.requestHeaders);
    const responseHeaders = HeaderRuleSet.compile(spec.responseHeaders);
    const requestBody = BodyRuleSet.compile(spec.requestBody);
    const responseBody = BodyRuleSet.compile(spec.responseBody);
    if (requestHeaders === null && responseHeaders === null && requestBody === null && responseBody === null) return null;
    return new RouteRules(requestHeaders, responseHeaders, requestBody, responseBody, headerSafe(routeKey), isTrustedPeer);
  }
}
