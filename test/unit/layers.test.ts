/**
 * Dependencies go one way (docs/architecture.md): a module of src/ imports only from its own layer or the layers
 * listed before it. Within registry/, transport/ and auth/ sit below the client. An import that points the other
 * way (e.g. config importing a lister, the registry layer importing the scheduler) fails here with its file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Bottom first. Entries on one line of the same rank may import each other. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'safe-text', 'zod-messages'],
  ['clock', 'log'],
  ['ref'],
  ['oci'],
  ['credentials', 'filter'],
  ['registry/transport'],
  ['registry/auth'],
  ['registry', 'registry/budget'],
  ['config'],
  ['listers'],
  ['sync'],
  ['report'],
  ['progress'],
  ['server', 'scheduler'],
  ['cli', 'index'],
];

function layerOf(file: string): string {
  const rel = relative(SRC, file).replace(/\.[jt]s$/, '');
  const parts = rel.split('/');
  if (parts[0] === 'registry' && parts.length > 2) return `registry/${parts[1]}`;
  return parts[0]!;
}

function rank(layer: string): number {
  const i = LAYERS.findIndex((l) => l.includes(layer));
  assert.notEqual(i, -1, `src/${layer} is in no layer of test/unit/layers.test.ts: add it where it belongs`);
  return i;
}

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) yield p;
  }
}

test('every import in src/ points to the same layer or one below it', () => {
  const upward: string[] = [];
  let imports = 0;
  for (const file of sources(SRC)) {
    const from = layerOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      imports++;
      const to = layerOf(resolve(dirname(file), m[1]!));
      if (rank(to) > rank(from)) upward.push(`${relative(SRC, file)} (${from}) imports ${m[1]} (${to})`);
    }
  }
  assert.ok(imports > 300, `only ${imports} relative imports found: is SRC right?`);
  assert.deepEqual(upward, [], 'imports pointing up the layers');
});

test('the check sees an upward import', () => {
  assert.ok(rank('config') > rank('registry'));
  assert.ok(rank(layerOf(join(SRC, 'registry/transport/http.ts'))) < rank(layerOf(join(SRC, 'registry/client.ts'))));
  assert.equal(layerOf(join(SRC, 'registry/budget/pull-budget.ts')), 'registry/budget');
});
