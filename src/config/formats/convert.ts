import { Document, isMap, isNode, isScalar } from 'yaml';
import type { Conversion } from './foreign-format';

/** The prox YAML for a converted file, with a comment above every value that maps loosely. */
export function conversionToYaml(conversion: Conversion, header: string): string {
  const doc = new Document(conversion.config);
  const fileNotes: string[] = [` ${header}`];
  for (const note of conversion.notes) {
    // On the key of the field, so the comment sits on the line above it.
    const parent = note.at.length === 0 ? null : doc.getIn(note.at.slice(0, -1), true);
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === note.at[note.at.length - 1]) : undefined;
    const key = pair?.key;
    if (isNode(key)) key.commentBefore = key.commentBefore ? `${key.commentBefore}\n ${note.message}` : ` ${note.message}`;
    else fileNotes.push(` ${note.message}`);
  }
  doc.commentBefore = fileNotes.join('\n');
  return doc.toString({ lineWidth: 0 });
}
