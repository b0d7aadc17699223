/** Live progress: drawn with cursor control on a pseudo-terminal (util-linux `script`), nothing on a pipe. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const CHILD = join(import.meta.dirname, 'emit-progress.ts');
const ROOT = join(import.meta.dirname, '../..');

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, COLUMNS: '120' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe('progress', () => {
  test('on a terminal: per-image bytes moved of total, redrawn in place', async () => {
    const cmd = [process.execPath, '--import', 'tsx', CHILD].map(shellQuote).join(' ');
    const r = await run('script', ['-qfec', cmd, '/dev/null']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = r.stdout;
    assert.match(out, /0% 0 B \/ 4\.0 MB .*docker\.io\/library\/redis:7\.2 → harbor\.example\/hub\/redis:7\.2/);
    assert.match(out, /25% 1\.0 MB \/ 4\.0 MB/);
    assert.match(out, /50% 2\.0 MB \/ 4\.0 MB/);
    assert.match(out, /\u001b\[\d+F\u001b\[J/, 'cursor moves up and clears to redraw');
    assert.match(out, /✓ harbor\.example\/hub\/redis:7\.2: copied 4\.0 MB in 1\.5s/);
    assert.match(out, /plain line/);
  });

  test('on a pipe: nothing but plain lines', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', CHILD]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'plain line\n');
    assert.doesNotMatch(r.stdout + r.stderr, /\u001b\[/);
  });
});
