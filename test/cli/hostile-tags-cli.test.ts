/**
 * Issue 14's tag reproduction against the built CLI: a hostile source (a proxy in front of a real registry that
 * rewrites the tags/list body) lists names that would add a query, a fragment or dot segments to a URL path. Only
 * the valid tag lands on the target, and each invalid tag gets one warning naming registry, repository and the
 * escaped name.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { makeImage, pushImage } from '../harness/images.js';
import { proxy, registry } from '../engine/helpers.js';
import { ferry, jsonLines, tagsOf } from './helpers.js';

const HOSTILE_TAGS = ['good', 'y?digest=sha256:00', 'z#frag', 'x/../../../evil/manifests/pwn', 'esc\u001b[31mred\nforged line'];

describe('hostile tag list (CLI)', () => {
  test('only valid listed tags land on the target; one warning per invalid tag, escaped', async () => {
    const [src, dst] = await Promise.all([registry(), registry()]);
    // the names the hostile paths would resolve to exist on the source, so a client that sends them as they are
    // copies something (the reproduction: the target stored y and z)
    await pushImage(src, 'team/app', 'good', makeImage({ kind: 'oci', layers: [64], seed: 'good' }));
    await pushImage(src, 'team/app', 'y', makeImage({ kind: 'oci', layers: [64], seed: 'y' }));
    await pushImage(src, 'team/app', 'z', makeImage({ kind: 'oci', layers: [64], seed: 'z' }));
    await pushImage(src, 'team/evil', 'pwn', makeImage({ kind: 'oci', layers: [64], seed: 'pwn' }));
    const body = JSON.stringify({ name: 'team/app', tags: HOSTILE_TAGS });
    const via = await proxy({
      upstream: src,
      transformResponse: (req, up) => {
        if (req.method !== 'GET' || !/^\/v2\/team\/app\/tags\/list/.test(req.url ?? '')) return undefined;
        up.body.resume();
        return { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body: Readable.from([Buffer.from(body)]) };
      },
    });
    const dir = await mkdtemp(join(tmpdir(), 'ferry-hostile-tags-'));
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      `registries:
  source.example.com:
    endpoint: ${via.url}
tasks:
  - name: hostile
    source:
      registry: source.example.com
      auth: none
    target:
      registry: ${dst.host}
      auth: none
    mappings:
      - from: team/app
        to: mirror/app
`,
    );
    const r = await ferry([`-config=${file}`, '-once'], { LOG_FORMAT: 'json' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await tagsOf(dst, 'mirror/app'), ['good'], 'only the valid tag landed');
    assert.deepEqual(await tagsOf(dst, 'mirror/evil'), [], 'nothing escaped the repository');
    assert.equal(via.count({ pathRegex: /\/manifests\/(y|z)(\?|$)|\/evil\// }), 0, 'no request for the names the hostile tags resolve to');

    const lines = jsonLines(r.stdout);
    const warnings = lines.filter((l) => /invalid tag/.test(String(l.msg)));
    const shown = ['y?digest=sha256:00', 'z#frag', 'x/../../../evil/manifests/pwn', 'esc\\u001b[31mred\\nforged line'];
    for (const name of shown) {
      const mine = warnings.filter((l) => String(l.msg).includes(`"${name}"`));
      assert.equal(mine.length, 1, `one warning for ${name}: ${JSON.stringify(warnings)}`);
      const w = mine[0]!;
      assert.equal(w.level, 40, 'a warning');
      assert.match(String(w.msg), /registry source\.example\.com/);
      assert.match(String(w.msg), /repository team\/app/);
      assert.equal(w.tag, name);
    }
    assert.equal(warnings.length, shown.length, 'no other invalid-tag warnings');
    assert.ok(!r.stdout.includes('\u001b') && !r.stderr.includes('\u001b'), 'no raw ESC reached the output');
    assert.ok(!/\nforged line/.test(r.stdout), 'no forged log line');
  });
});
