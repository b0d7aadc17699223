/** The package's library entry point (what `import … from 'ferry'` gives) copies an image and emits events. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ferry from '../../dist/index.js';
import { makeImage, pushImage } from '../harness/images.js';
import { registry } from '../engine/helpers.js';

test('library entry point: connectRegistry + copyImage with typed events', async () => {
  const srcReg = await registry();
  const dstReg = await registry();
  const m = makeImage({ kind: 'docker', layers: [1234], seed: 'library' });
  await pushImage(srcReg, 'lib/app', 'v1', m);
  const src = await ferry.connectRegistry(srcReg.host);
  const dst = await ferry.connectRegistry(dstReg.host);
  try {
    const events: string[] = [];
    const r = await ferry.copyImage(src, ferry.parseReference(`${srcReg.host}/lib/app:v1`), dst, ferry.parseReference(`${dstReg.host}/lib/app:v1`), {
      events: (e) => events.push(e.type),
    });
    assert.equal(r.action, 'copied');
    assert.equal(r.targetDigest, m.digest);
    for (const t of ['image-decided', 'manifest-fetched', 'blob-started', 'blob-done', 'manifest-pushed']) assert.ok(events.includes(t), t);
    assert.ok(events.indexOf('manifest-pushed') > events.lastIndexOf('blob-done'), 'the manifest is pushed after its blobs');
    assert.ok(ferry.isFerryError(new ferry.FerryError('NOT_FOUND', 'x')));
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
});
