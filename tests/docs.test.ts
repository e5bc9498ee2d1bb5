/** docs/rest-api.md is generated from the route tables and must be current. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { renderRestDocs } from '../scripts/gen-rest-docs.ts';

test('docs/rest-api.md matches the routes the server registers', () => {
  const file = path.resolve(import.meta.dirname, '../docs/rest-api.md');
  assert.equal(fs.readFileSync(file, 'utf8'), renderRestDocs(), 'regenerate with: node --import tsx scripts/gen-rest-docs.ts');
});
