/** pipeInto: the two-stream pipe the blob copy uses instead of stream.pipeline. */
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pipeInto } from '../../src/sync/pipe-into.js';

function sink(): Writable & { got: Buffer[] } {
  const got: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      got.push(chunk);
      cb();
    },
  });
  return Object.assign(w, { got });
}

describe('pipeInto', () => {
  test('settles once the destination has every byte', async () => {
    const dest = sink();
    await pipeInto(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), dest);
    assert.equal(Buffer.concat(dest.got).toString(), 'abcd');
    assert.equal(dest.writableFinished, true);
  });

  test('a source error rejects with it and destroys the destination', async () => {
    const source = new PassThrough();
    const dest = new PassThrough();
    const p = pipeInto(source, dest);
    source.write('x');
    source.destroy(new Error('socket reset'));
    await assert.rejects(p, /socket reset/);
    assert.equal(dest.destroyed, true);
  });

  test('a destination error (a digest mismatch at the end) rejects with it and destroys the source', async () => {
    const source = new PassThrough();
    const dest = new Writable({
      write(_c, _e, cb) {
        cb();
      },
      final(cb) {
        cb(new Error('digest mismatch'));
      },
    });
    const p = pipeInto(source, dest);
    source.end('data');
    await assert.rejects(p, /digest mismatch/);
    assert.equal(source.destroyed, true);
  });

  test('a source closed before its end without an error is a premature close', async () => {
    const source = new PassThrough();
    const dest = sink();
    const p = pipeInto(source, dest);
    source.write('part');
    source.destroy();
    await assert.rejects(p, (e: Error & { code?: string }) => e.code === 'ERR_STREAM_PREMATURE_CLOSE' && /source stream closed/.test(e.message));
  });

  test('an error after success (the upload failing later) does not crash the process', async () => {
    const source = Readable.from(['a']);
    const dest = new PassThrough();
    dest.resume();
    await pipeInto(source, dest);
    dest.destroy(new Error('late upload failure'));
    await new Promise((r) => setImmediate(r));
    assert.equal(dest.destroyed, true);
  });
});
