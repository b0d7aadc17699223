/** resumableSource: what happens to a response that arrives after the stream was destroyed. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { resumableSource } from '../../src/sync/resumable-source.js';

/** A body that errors when destroyed without a reason, as undici's does ('Request aborted'). */
function undiciLikeBody(): Readable {
  return new Readable({
    read() {},
    destroy(err, cb) {
      cb(err ?? new Error('Request aborted'));
    },
  });
}

test('a body arriving after the stream was destroyed is discarded without an unheard error (which would end the process)', async () => {
  let respond: (v: { body: Readable; offset: number }) => void = () => undefined;
  let asked: () => void = () => undefined;
  const requested = new Promise<void>((resolve) => (asked = resolve));
  const source = resumableSource({
    size: 10,
    clock: new FakeClock(),
    open: () => {
      asked();
      return new Promise((resolve) => (respond = resolve));
    },
  });
  source.resume(); // reading starts the request
  await requested;
  source.destroy();
  const body = undiciLikeBody();
  const unheard: unknown[] = [];
  const onUncaught = (e: unknown): void => void unheard.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    respond({ body, offset: 0 });
    await new Promise((resolve) => body.once('close', resolve));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  assert.equal(body.destroyed, true, 'the late body is destroyed');
  assert.deepEqual(unheard, []);
});
