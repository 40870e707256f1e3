import { readFileSync } from 'node:fs';
import { CONFIG_SCHEMA_PATH, configSchemaJson } from '../../src/config/schema';
import { CONFIG_SCHEMA } from '../../src/config/schema-source';

describe('config.schema.json and its source, src/config/schema-source.ts', () => {
  const committed = readFileSync(CONFIG_SCHEMA_PATH, 'utf8');

  it('say the same (after editing schema-source.ts, run `npm run schema`)', () => {
    expect(JSON.parse(committed)).toEqual(CONFIG_SCHEMA);
  });

  it('the committed file is exactly what `npm run schema` writes', () => {
    expect(committed).toBe(configSchemaJson());
  });
});
