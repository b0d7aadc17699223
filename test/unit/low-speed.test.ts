/**
 * The low-speed limit on a fake clock: the meter's window over counted time, and the transfer pace charging time
 * to the end a streamed copy waits on — a slow-consuming sink trips the upload, a slow source the download, and
 * neither is blamed for the other.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Readable, Writable } from 'node:stream';
import { FerryError, isFerryError } from '../../src/errors.js';
import { VerifyStream } from '../../src/oci/verify-stream.js';
import { digestOf } from '../../src/ref/digest.js';
import { DEFAULT_LOW_SPEED, formatRate, LowSpeedMeter, type LowSpeedLimit } from '../../src/registry/transport/low-speed.js';
import { FakeClock } from '../../src/clock.js';
import { pipeInto } from '../../src/sync/pipe-into.js';
import { resumableSource } from '../../src/sync/resumable-source.js';
import { TransferPace } from '../../src/sync/transfer-pace.js';

const LIMIT = { bytesPerSecond: 1000, timeMs: 1000 };

/** Feeds a meter `rate` B/s for `ms`, sampling every 100 ms; returns the first trip (time, rate). */
function feed(m: LowSpeedMeter, state: { t: number; bytes: number }, rate: number, ms: number): { at: number; rate: number } | undefined {
  for (let i = 0; i < ms / 100; i++) {
    state.t += 100;
    state.bytes += rate / 10;
    const r = m.sample(state.bytes, state.t);
    if (r !== undefined) return { at: state.t, rate: r };
  }
  return undefined;
}

describe('LowSpeedMeter', () => {
  test('trips once a full span below the limit has been counted, with the measured rate', () => {
    const m = new LowSpeedMeter(LIMIT);
    m.setActive(true, 0);
    const s = { t: 0, bytes: 0 };
    m.sample(0, 0);
    assert.deepEqual(feed(m, s, 500, 5000), { at: 1000, rate: 500 });
  });

  test('a rate at or above the limit never trips', () => {
    const m = new LowSpeedMeter(LIMIT);
    m.setActive(true, 0);
    m.sample(0, 0);
    assert.equal(feed(m, { t: 0, bytes: 0 }, 1000, 30_000), undefined);
  });

  test('the window slides: a fast start does not cover a later trickle', () => {
    const m = new LowSpeedMeter(LIMIT);
    m.setActive(true, 0);
    m.sample(0, 0);
    const s = { t: 0, bytes: 0 };
    assert.equal(feed(m, s, 1_000_000, 10_000), undefined);
    const trip = feed(m, s, 10, 5000);
    assert.ok(trip, 'the trickle trips');
    assert.equal(trip.at, 11_000, 'one span after the trickle began');
    assert.equal(Math.round(trip.rate), 10);
  });

  test('time while inactive does not count, and bytes then do not rescue the window', () => {
    const m = new LowSpeedMeter(LIMIT);
    m.setActive(true, 0);
    m.sample(0, 0);
    m.sample(100, 500); // 500 ms counted
    m.setActive(false, 500);
    assert.equal(m.sample(100, 60_000), undefined, 'a minute held back is not a minute of slowness');
    assert.equal(m.counted(60_000), 500);
    m.setActive(true, 60_000);
    assert.equal(m.sample(150, 60_400), undefined, '900 ms counted');
    const r = m.sample(200, 60_600);
    assert.equal(r, 200 * 1000 / 1100, '200 bytes over 1.1 s counted');
  });

  test('a limit of 0 turns the check off', () => {
    const m = new LowSpeedMeter({ bytesPerSecond: 0, timeMs: 1000 });
    m.setActive(true, 0);
    assert.equal(m.sample(0, 0), undefined);
    assert.equal(m.sample(0, 100_000), undefined);
  });

  test('rates read well in messages', () => {
    assert.equal(formatRate(812.7), '812 B/s');
    assert.equal(formatRate(1536), '1.5 KiB/s');
    assert.equal(formatRate(3 * 1024 * 1024), '3.0 MiB/s');
  });
});

/** A source that yields `bytes` every 100 ms of fake time (or 100 bytes whenever asked, with bytes = Infinity). */
function fakeSource(clock: FakeClock, data: Buffer, bytes: number): Readable {
  let at = 0;
  let busy = false;
  return new Readable({
    read() {
      if (busy) return;
      if (bytes === Infinity) {
        // small chunks, as fast as they are asked for: a sink takes (and so reports) whole chunks
        const piece = data.subarray(at, at + 100);
        at += piece.byteLength;
        this.push(piece.byteLength ? piece : null);
        return;
      }
      busy = true;
      void clock.sleep(100).then(() => {
        busy = false;
        const piece = data.subarray(at, at + bytes);
        at += piece.byteLength;
        this.push(piece.byteLength ? piece : null);
      });
    },
  });
}

/** A sink taking `bytes` per 100 ms of fake time (a target reading its upload slowly). */
function fakeSink(clock: FakeClock, bytes: number): Writable & { taken: number } {
  // a buffer of one chunk: a writer learns of progress per drained buffer, as undici does from its socket
  const sink = new Writable({
    highWaterMark: 100,
    write(chunk: Buffer, _e, cb) {
      let left = chunk.byteLength;
      const step = (): void => {
        if (left <= 0) return cb();
        void clock.sleep(100).then(() => {
          const n = Math.min(left, bytes);
          left -= n;
          sink.taken += n;
          step();
        });
      };
      step();
    },
  }) as Writable & { taken: number };
  sink.taken = 0;
  return sink;
}

/** source → resumable → verify → sink, watched by a TransferPace as copy-blob wires it; runs fake time until settled. */
async function pacedCopy(o: { sourceBytesPer100ms: number; sinkBytesPer100ms: number; size: number; limit?: LowSpeedLimit }): Promise<{ error?: FerryError; ms: number }> {
  const limit = o.limit ?? LIMIT;
  const clock = new FakeClock(0);
  const data = Buffer.alloc(o.size, 7);
  const digest = digestOf(data);
  let pace: TransferPace | undefined;
  const source = resumableSource({ size: o.size, clock, open: async () => ({ body: fakeSource(clock, data, o.sourceBytesPer100ms), offset: 0 }), onHeld: (h) => pace?.held(h), onComplete: () => pace?.sourceEnded() });
  const verify = new VerifyStream({ digest, size: o.size }, {});
  const sink = fakeSink(clock, o.sinkBytesPer100ms);
  let error: FerryError | undefined;
  pace = new TransferPace({
    clock,
    digest,
    size: o.size,
    source: { registry: 'src.example', repository: 'a/b', limit },
    target: { registry: 'dst.example', repository: 'c/d', limit },
    received: () => source.received,
    delivered: () => verify.delivered,
    onTrip: (e) => {
      error = e;
      verify.destroy(e);
    },
  });
  let settled = false;
  const done = Promise.all([pipeInto(source, verify), pipeInto(verify, sink)]).then(
    () => void (settled = true),
    () => void (settled = true),
  );
  while (!settled && clock.now() < 600_000) await clock.advance(100);
  await done;
  pace.stop();
  return { ...(error ? { error } : {}), ms: clock.now() };
}

describe('TransferPace (fake clock)', () => {
  test('a slow-consuming sink trips the upload, charged to the target, about a span after the first byte', async () => {
    const r = await pacedCopy({ sourceBytesPer100ms: Infinity, sinkBytesPer100ms: 30, size: 400_000 });
    assert.ok(isFerryError(r.error, 'TRANSFER_TOO_SLOW'), String(r.error));
    assert.equal(r.error.context.direction, 'upload');
    assert.equal(r.error.context.registry, 'dst.example');
    assert.match(r.error.message, /^blob sha256:[0-9a-f]{64} to registry dst\.example, repository c\/d was accepted at \d+ B\/s over 1s, below the low-speed limit of 1000 B\/s$/);
    const rate = r.error.context.bytesPerSecond as number;
    assert.ok(rate >= 200 && rate <= 400, `about 300 B/s, measured ${rate}`);
    assert.ok(r.ms <= 1300, `tripped at ${r.ms} ms`);
  });

  test('a slow source trips the download, charged to the source', async () => {
    const r = await pacedCopy({ sourceBytesPer100ms: 50, sinkBytesPer100ms: 1_000_000, size: 400_000 });
    assert.ok(isFerryError(r.error, 'TRANSFER_TOO_SLOW'), String(r.error));
    assert.equal(r.error.context.direction, 'download');
    assert.equal(r.error.context.registry, 'src.example');
    assert.equal(r.error.context.bytesPerSecond, 500);
    assert.match(r.error.message, /from registry src\.example, repository a\/b arrived at 500 B\/s/);
  });

  test('a slow source behind a slower sink: the sink is blamed, since the source waits on it', async () => {
    const r = await pacedCopy({ sourceBytesPer100ms: 2000, sinkBytesPer100ms: 20, size: 400_000 });
    assert.equal(r.error?.context.direction, 'upload');
  });

  test('at the defaults a trickle trips within 66 s of the first byte, so two attempts fit well within three minutes', async () => {
    const r = await pacedCopy({ sourceBytesPer100ms: 1, sinkBytesPer100ms: 1_000_000, size: 1_000_000, limit: DEFAULT_LOW_SPEED });
    assert.equal(r.error?.context.direction, 'download');
    assert.equal(r.error?.context.bytesPerSecond, 10);
    assert.match(r.error?.message ?? '', /arrived at 10 B\/s over 60s, below the low-speed limit of 1024 B\/s$/);
    assert.ok(r.ms >= 60_000 && r.ms <= 66_100, `tripped at ${r.ms} ms`);
  });

  test('at the defaults 1.5 KiB/s is not too slow', async () => {
    const r = await pacedCopy({ sourceBytesPer100ms: 150, sinkBytesPer100ms: 1_000_000, size: 200_000, limit: DEFAULT_LOW_SPEED });
    assert.equal(r.error, undefined);
    assert.ok(r.ms >= 130_000, 'the whole copy ran at that pace');
  });

  test('both ends above the limit: the copy completes', async () => {
    const r = await pacedCopy({ sourceBytesPer100ms: 5000, sinkBytesPer100ms: 3000, size: 200_000 });
    assert.equal(r.error, undefined);
  });
});

test('LowSpeedMeter: a sample every millisecond for minutes keeps the window right across its batched trims', () => {
  const m = new LowSpeedMeter({ bytesPerSecond: 1024, timeMs: 60_000 });
  m.setActive(true, 0);
  let bytes = 0;
  // 2 KiB/s, one sample a millisecond, for 3 minutes: never below the limit
  for (let ms = 1; ms <= 180_000; ms++) assert.equal(m.sample((bytes += 2), ms), undefined, `tripped at ${ms} ms`);
  // then 512 B/s: the rate over the last 60 s falls below 1024 B/s once more than half the window is slow
  let trippedAt: number | undefined;
  let rate: number | undefined;
  for (let ms = 180_001; ms <= 240_000 && trippedAt === undefined; ms++) {
    bytes += ms % 2 === 0 ? 1 : 0;
    rate = m.sample(bytes, ms);
    if (rate !== undefined) trippedAt = ms;
  }
  assert.ok(trippedAt !== undefined, 'a slow minute trips');
  // 2 B/ms over (60 s - x) plus 0.5 B/ms over x is below 1 B/ms... once x > 40 s (1024 B/s is 1.024 B/ms)
  assert.ok(trippedAt! - 180_000 > 39_000 && trippedAt! - 180_000 < 41_500, `tripped ${trippedAt! - 180_000} ms into the slow part`);
  assert.ok(rate! < 1024 && rate! > 1000, `rate ${rate}`);
});
