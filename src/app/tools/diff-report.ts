import type { ConfigDiff } from './config-diff';

/** `prox diff` for a person: one section per kind of change. */
export function formatDiff(d: ConfigDiff, oldName: string, newName: string): string {
  if (!d.changed) return `${oldName} -> ${newName}: no operational change`;
  const lines = [`${oldName} -> ${newName}`];
  const section = (title: string, items: readonly string[]): void => {
    if (items.length === 0) return;
    lines.push('', `${title}:`, ...items.map((i) => `  ${i}`));
  };
  section('routes added', d.routesAdded.map((k) => `+ "${k}"`));
  section('routes removed', d.routesRemoved.map((k) => `- "${k}"`));
  section(
    'routes changed',
    d.routesChanged.flatMap((c) => [
      `~ "${c.key}": ${c.fields.join(', ')}`,
      ...c.backendsAdded.map((u) => `    + backend ${u}`),
      ...c.backendsRemoved.map((u) => `    - backend ${u}`),
    ]),
  );
  section('requests that now go elsewhere', d.destinations.flatMap((c) => [`${c.url}`, `    before: ${c.before}`, `    after:  ${c.after}`]));
  section('settings', d.settings.map((s) => `${s.setting}: ${JSON.stringify(s.before)} -> ${JSON.stringify(s.after)} (${s.appliesOn === 'restart' ? 'needs a restart' : 'applies on reload'})`));
  section('open sessions', d.openSessions);
  lines.push('', d.needsRestart ? 'a reload applies the routes; some settings above need a restart' : 'a hot reload applies all of it');
  return lines.join('\n');
}
