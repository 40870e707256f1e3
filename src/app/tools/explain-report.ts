import type { Explanation, HeaderEdits } from './explain';

/** `prox explain` as numbered steps for a person. */
export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  const step = (text: string): number => lines.push(`${lines.filter((l) => /^\d+\./.test(l)).length + 1}. ${text}`);
  const detail = (text: string): number => lines.push(`   ${text}`);
  const query = e.request.query === '' ? '' : `?${e.request.query}`;
  lines.push(`${e.request.method} ${e.request.host}${e.request.path}${query} from ${e.request.clientIp}`);
  if (e.routingPath !== e.request.path) step(`path normalised for routing: ${e.request.path} -> ${e.routingPath}`);
  if (e.admin) {
    step('answered by the admin endpoints mounted on this listener (admin.public_path)');
    return lines.join('\n');
  }
  if (!e.matched || e.route === null) {
    step(`no route matches host "${e.request.host}" and path "${e.routingPath}": prox answers 404`);
    if (e.action?.kind === 'none') detail(`body: ${e.action.body}`);
    return lines.join('\n');
  }
  step(`route "${e.route.key}" (${e.route.type})`);
  for (const loser of e.alsoMatched) detail(`also matched "${loser.key}", lost: ${loser.reason}`);
  if (e.rateLimit !== null) {
    step(`rate limit ${e.rateLimit.rule}, ${e.rateLimit.mode}`);
    detail(e.rateLimit.key === null ? (e.rateLimit.missingKey ?? '') : `counted under key "${e.rateLimit.key}"`);
  }
  const action = e.action;
  if (action === null) return lines.join('\n');
  switch (action.kind) {
    case 'redirect':
      step(`redirect ${action.status} to ${action.location}`);
      break;
    case 'static':
      if (action.refusal !== null) step(`static file refused: ${action.refusal}`);
      else step(`static file ${action.file}`);
      detail(`root ${action.root}`);
      break;
    case 'none':
      break;
    case 'forward':
      step(`path after rewrite: ${action.pathAfterRewrite}`);
      step(`pool (${action.strategy}): ${action.backends.map((b) => (b.weight === 1 ? b.url : `${b.url} weight ${b.weight}`)).join(', ')}`);
      detail(`backend ${action.backend}: ${action.backendReason}`);
      detail(`upstream request: ${e.request.method} ${action.upstreamUrl}`);
      step(`timeouts: ${action.timeoutSecs}s to the response head (retries included), connect ${action.connectTimeoutSecs}s; retries: ${action.retries.attempts === 0 ? 'none' : `${action.retries.attempts} on ${action.retries.on.join(', ')}`}; active health checks ${action.activeHealthCheck ? 'on' : 'off'}`);
      step('headers to the upstream');
      headerLines(action.upstreamHeaders, detail);
      if (action.requestBodyReplaced !== null) detail(`request body replaced: ${action.requestBodyReplaced.bytes} bytes of ${action.requestBodyReplaced.contentType}`);
      step('headers to the client (for an upstream 200 without headers of its own)');
      headerLines(action.clientHeaders, detail);
      if (action.responseBodyReplacedOn200 !== null) detail(`response body replaced: ${action.responseBodyReplacedOn200.bytes} bytes of ${action.responseBodyReplacedOn200.contentType}`);
      step(`if the upstream fails: 502 with ${action.errorPage502.configured ? 'the configured page' : 'the built-in body'} (${action.errorPage502.contentType})`);
      detail(action.errorPage502.body.length > 200 ? action.errorPage502.body.slice(0, 200) + '...' : action.errorPage502.body);
      break;
  }
  return lines.join('\n');
}

function headerLines(edits: HeaderEdits, detail: (text: string) => number): void {
  for (const h of edits.added) detail(`+ ${h.name}: ${h.value}`);
  for (const h of edits.removed) detail(`- ${h.name}: ${h.value}`);
  if (edits.added.length === 0 && edits.removed.length === 0) detail('(unchanged)');
}
