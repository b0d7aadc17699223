import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeName, hasUnsafeText, safeText } from '../../src/safe-text.js';

describe('safe-text: remote text is hostile', () => {
  test('safeText makes one line without control, zero-width or bidi characters', () => {
    assert.equal(safeText('a\nb\r\nc\td'), 'a b c d');
    assert.equal(safeText('x\u001b[31mred\u001b[0m'), 'x[31mred[0m');
    assert.equal(safeText('\u0000\u0007\u007f\u0085\u009bok'), 'ok');
    assert.equal(safeText('evil\u202egnp.exe\u2066\u200b'), 'evilgnp.exe');
    assert.equal(safeText('line\u2028sep'), 'line sep');
    assert.equal(safeText('  many    spaces  '), 'many spaces');
  });

  test('safeText bounds the length', () => {
    const s = safeText('x'.repeat(1000));
    assert.equal(s.length, 300);
    assert.ok(s.endsWith('…'));
    assert.equal(safeText('abcdef', 4), 'abc…');
  });

  test('escapeName shows what was sent, on one line', () => {
    assert.equal(escapeName('a\nb'), 'a\\nb');
    assert.equal(escapeName('esc\u001b[31m'), 'esc\\u001b[31m');
    assert.equal(escapeName('q"b\\'), 'q\\"b\\\\');
    assert.equal(escapeName('bidi\u202e'), 'bidi\\u202e');
    assert.equal(escapeName('y?digest=sha256:00'), 'y?digest=sha256:00');
    assert.ok(!hasUnsafeText(escapeName('\u0000\u001b\n\u202e\u0085')));
    assert.ok(escapeName('x'.repeat(500)).length <= 201);
  });
});
