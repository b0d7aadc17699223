/**
 * ferry benchmark suite (issue 6): ferry against `skopeo sync` and the dregsy way, on local registries.
 *
 *   npm run bench -- [--quick] [--only cold,noop,memory,scale,faults] [--runs N] [--scale-repos N] [--scale-tags N]
 *                    [--profile] [--no-write]
 *
 * Workloads: cold sync (+ raw-transfer floor), no-op re-sync (wall time, source manifest GETs), memory (peak RSS
 * of a ferry process for large layers), scale (tags checked per second when all is in sync, next to a plain HEAD
 * loop), fault timings (how long fault handling takes with real waits; reported, not judged: bench/fault-timings.ts).
 * Everything is loopback: Debian docker-registry instances started by test/harness. Prints a markdown
 * report and writes it to docs/benchmarks.md (unless --no-write or a subset/smaller size was asked for, in which
 * case it goes to bench/.out/benchmarks.md).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { RunReport } from '../src/report/run-report.js';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { startRegistry, type RegistryHandle } from '../test/harness/registry.js';
import { faultTimings, faultTimingsReport, type FaultTimings } from './fault-timings.js';
import { largeImage, scaleFixture, seedFixture, type SeedFixture } from './fixtures.js';
import { fmtMB, fmtMs, fmtRatio, hasGnuTime, machineInfo, median, MiB, ROOT, run, runOk, scratchDir, skopeo, skopeoFlags, type ProcResult } from './lib.js';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    runs: { type: 'string' },
    /** runs of the raw-transfer floor and ferry in the cold/no-op workload (default: runs + 2) */
    'pair-runs': { type: 'string' },
    'scale-repos': { type: 'string' },
    'scale-tags': { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    /** cli: the real `ferry sync --once` on a generated dregsy config (default); library: bench/ferry-sync.ts */
    runner: { type: 'string', default: 'cli' },
    /** tasks the generated config splits the repositories into (tasks run concurrently) */
    tasks: { type: 'string' },
  },
});
if (flags.runner !== 'cli' && flags.runner !== 'library') throw new Error('--runner: cli or library');
const quick = flags.quick ?? false;
const only = new Set((flags.only ?? 'cold,noop,memory,scale,faults').split(',').map((s) => s.trim()).filter(Boolean));
for (const w of only) if (!['cold', 'noop', 'memory', 'scale', 'faults'].includes(w)) throw new Error(`--only: unknown workload ${w}`);
const RUNS = Number(flags.runs ?? 3);
/**
 * The floor and ferry take ~8–12 s each against skopeo's 30–60 s, and their ratio is the tightest target on a
 * machine whose run-to-run noise is ±15 %: they get two more runs (each run a floor and a ferry, back to back).
 */
const PAIR_RUNS = Math.max(RUNS, Number(flags['pair-runs'] ?? RUNS + 2));
const SEED_SHAPE = quick ? { repositories: 8, tagsPerRepo: 3, sizeFactor: 0.25 } : { repositories: 20, tagsPerRepo: 5, sizeFactor: 1 };
const SCALE_REPOS = Number(flags['scale-repos'] ?? (quick ? 100 : 1000));
const SCALE_TAGS = Number(flags['scale-tags'] ?? (quick ? 10 : 20));
const BIG = quick ? 256 * MiB : 1024 * MiB;
const MEDIUM = quick ? 32 * MiB : 100 * MiB;
/** images in flight for the ferry runner, and the concurrency of the floors */
const FERRY_IMAGES = 8;
const SCALE_IMAGES = 16;
const OUT = join(ROOT, 'bench', '.out');
const fullRun = !quick && ['cold', 'noop', 'memory', 'scale'].every((w) => only.has(w)) && RUNS >= 3 && SCALE_REPOS === 1000 && SCALE_TAGS === 20;

const loadStart = loadavg()[0]!.toFixed(2);
const log = (msg: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ------------------------------------------------------------------------------------------------ runners

async function bundle(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  for (const name of ['ferry-sync', 'floor']) {
    await build({
      entryPoints: [join(ROOT, 'bench', `${name}.ts`)],
      outfile: join(OUT, `${name}.mjs`),
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      logLevel: 'warning',
    });
  }
}

let profileSeq = 0;
const ferryErrors: string[] = [];
function nodeArgs(): string[] {
  return flags.profile ? ['--cpu-prof', '--cpu-prof-dir', join(OUT, 'profiles'), '--cpu-prof-name', `ferry-${++profileSeq}.cpuprofile`] : [];
}

function writeLines(name: string, lines: string[]): string {
  const f = join(scratchDir(), name);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

interface FerryRun extends ProcResult {
  report: { images: number; copied: number; upToDate: number; manifestGets: number; bytes: number; blobs: Record<string, number>; listMs: number; wallMs: number; connections: number; errors: string[] };
}

async function ferrySync(src: RegistryHandle, dst: RegistryHandle, reposFile: string, images = FERRY_IMAGES): Promise<FerryRun> {
  return flags.runner === 'cli' ? ferryCli(src, dst, reposFile, images) : ferryLibrary(src, dst, reposFile, images);
}

/** The engine through bench/ferry-sync.ts (no CLI start-up; counts TCP connections). */
async function ferryLibrary(src: RegistryHandle, dst: RegistryHandle, reposFile: string, images: number): Promise<FerryRun> {
  const r = await run(process.execPath, [...nodeArgs(), join(OUT, 'ferry-sync.mjs'), '--src', src.url, '--dst', dst.url, '--repos-file', reposFile, '--images', String(images)], { timeoutMs: 1_800_000 });
  const last = r.stdout.trim().split('\n').pop();
  if (r.code !== 0 && !(r.code === 1 && last?.startsWith('{'))) throw new Error(`ferry-sync failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  const report = JSON.parse(last!) as FerryRun['report'];
  // image failures are reported, not fatal: the run goes on and the report lists them
  for (const e of report.errors) {
    ferryErrors.push(e);
    log(`ferry error: ${e}`);
  }
  return { ...r, report };
}

/**
 * What a user runs: `ferry sync --config FILE --once --report FILE` (the built CLI) on a generated dregsy config
 * mirroring every repository with all its tags. Repositories are split into tasks (which run concurrently) so
 * that about `images` copies are in flight, 4 per task as the runner does.
 */
async function ferryCli(src: RegistryHandle, dst: RegistryHandle, reposFile: string, images: number): Promise<FerryRun> {
  const repos = readFileSync(reposFile, 'utf8').split('\n').map((x) => x.trim()).filter(Boolean);
  const taskCount = Math.max(1, Math.min(repos.length, Number(flags.tasks ?? Math.ceil(images / 4))));
  const tasks: string[] = [];
  for (let t = 0; t < taskCount; t++) {
    const mine = repos.filter((_, i) => i % taskCount === t);
    tasks.push(`  - name: bench-${t}\n    source: { registry: '${src.host}' }\n    target: { registry: '${dst.host}' }\n    mappings:\n${mine.map((r) => `      - { from: ${r}, to: ${r} }`).join('\n')}`);
  }
  const config = writeLines(`ferry-${++cliSeq}.yaml`, [
    'registries:',
    `  '${src.host}': { endpoint: '${src.url}', max-concurrency: 16 }`,
    `  '${dst.host}': { endpoint: '${dst.url}', max-concurrency: 16 }`,
    'tasks:',
    ...tasks,
  ]);
  const reportFile = join(scratchDir(), `ferry-report-${cliSeq}.json`);
  const r = await run(process.execPath, [...nodeArgs(), join(ROOT, 'bin', 'ferry.js'), 'sync', '--config', config, '--once', '--report', reportFile], {
    timeoutMs: 1_800_000,
    env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
  });
  if (r.code !== 0 && r.code !== 1) throw new Error(`ferry sync failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  const doc = JSON.parse(readFileSync(reportFile, 'utf8')) as RunReport;
  const all = doc.tasks.flatMap((t) => t.images);
  const report: FerryRun['report'] = {
    images: all.length,
    copied: all.filter((i) => i.action === 'copied').length,
    upToDate: all.filter((i) => i.action === 'up-to-date').length,
    manifestGets: all.reduce((n, i) => n + i.pulls, 0),
    bytes: all.reduce((n, i) => n + i.bytes, 0),
    blobs: {},
    listMs: NaN,
    wallMs: r.wallMs,
    connections: NaN,
    errors: all.filter((i) => i.error).map((i) => `${i.source}: ${i.error}`),
  };
  for (const e of report.errors) {
    ferryErrors.push(e);
    log(`ferry error: ${e}`);
  }
  return { ...r, report };
}
let cliSeq = 0;

async function floor(mode: 'transfer' | 'head', src: RegistryHandle, dst: RegistryHandle, file: string, concurrency: number): Promise<ProcResult & { report: { wallMs: number; requests: number; bytes: number } }> {
  const r = await runOk(process.execPath, [join(OUT, 'floor.mjs'), mode, '--src', src.url, '--dst', dst.url, mode === 'transfer' ? '--blobs-file' : '--refs-file', file, '--concurrency', String(concurrency)], { timeoutMs: 1_800_000 });
  return { ...r, report: JSON.parse(r.stdout.trim().split('\n').pop()!) as { wallMs: number; requests: number; bytes: number } };
}

/** `skopeo sync --all` once per repository, sequentially. */
async function skopeoSync(src: RegistryHandle, dst: RegistryHandle, fx: SeedFixture): Promise<{ wallMs: number; peakRss: number }> {
  const started = performance.now();
  let peak = 0;
  for (const repo of fx.repositories) {
    const ns = repo.slice(0, repo.lastIndexOf('/'));
    const r = await skopeo(['sync', '--src', 'docker', '--dest', 'docker', '--all', ...skopeoFlags('src-'), ...skopeoFlags('dest-'), `${src.host}/${repo}`, `${dst.host}/${ns}`]);
    peak = Math.max(peak, r.peakRss ?? 0);
  }
  return { wallMs: performance.now() - started, peakRss: peak };
}

/** dregsy's skopeo relay: `skopeo list-tags`, then one `skopeo copy --all` per tag, sequentially. */
async function dregsyWay(src: RegistryHandle, dst: RegistryHandle, fx: SeedFixture): Promise<{ wallMs: number; peakRss: number }> {
  const started = performance.now();
  let peak = 0;
  for (const repo of fx.repositories) {
    const listed = await skopeo(['list-tags', ...skopeoFlags(''), `docker://${src.host}/${repo}`]);
    const tags = (JSON.parse(listed.stdout) as { Tags: string[] | null }).Tags ?? [];
    for (const tag of tags) {
      const r = await skopeo(['copy', '--all', ...skopeoFlags('src-'), ...skopeoFlags('dest-'), `docker://${src.host}/${repo}:${tag}`, `docker://${dst.host}/${repo}:${tag}`]);
      peak = Math.max(peak, r.peakRss ?? 0);
    }
  }
  return { wallMs: performance.now() - started, peakRss: peak };
}

// ------------------------------------------------------------------------------------------------ workloads

type Tool = 'ferry' | 'skopeo sync' | 'dregsy way';
const TOOLS: Tool[] = ['ferry', 'skopeo sync', 'dregsy way'];

interface ColdNoop {
  fixture: SeedFixture;
  cold: Record<Tool, number[]>;
  coldRss: Record<Tool, number[]>;
  floor: number[];
  noop: Record<Tool, number[]>;
  noopGets: Record<Tool, number[]>;
  noopRequests: Record<Tool, number[]>;
  ferryBytes: number[];
  ferryConnections: { cold: number[]; noop: number[] };
}

const MANIFEST_PATH = /^\/v2\/.+\/manifests\/[^/]+$/;

async function coldNoop(): Promise<ColdNoop> {
  const src = await startRegistry({ auth: 'none' });
  try {
    log(`building the seed fixture (${SEED_SHAPE.repositories} repositories × ${SEED_SHAPE.tagsPerRepo} tags, size ×${SEED_SHAPE.sizeFactor})`);
    const fx = await seedFixture(src, SEED_SHAPE);
    log(`fixture: ${fx.images} images (${fx.multiArch} multi-arch repositories), ${fx.uniqueBlobs.length} unique blobs, ${(fx.uniqueBytes / 1e6).toFixed(0)} MB`);
    const reposFile = writeLines('seed-repos.txt', fx.repositories);
    const blobsFile = writeLines('seed-blobs.txt', fx.uniqueBlobs.map((b) => `${b.repository} ${b.digest} ${b.size}`));
    const empty = (): Record<Tool, number[]> => ({ ferry: [], 'skopeo sync': [], 'dregsy way': [] });
    const out: ColdNoop = { fixture: fx, cold: empty(), coldRss: empty(), floor: [], noop: empty(), noopGets: empty(), noopRequests: empty(), ferryBytes: [], ferryConnections: { cold: [], noop: [] } };
    const sourceLog = async (): Promise<{ gets: number; all: number }> => {
      const entries = await src.accessLog(200);
      return { gets: entries.filter((e) => e.method === 'GET' && MANIFEST_PATH.test(e.path.replace(/\?.*$/, ''))).length, all: entries.length };
    };
    for (let i = 0; i < PAIR_RUNS; i++) {
      {
        const dst = await startRegistry({ auth: 'none' });
        const f = await floor('transfer', src, dst, blobsFile, FERRY_IMAGES);
        out.floor.push(f.report.wallMs);
        log(`run ${i + 1}: raw-transfer floor ${fmtMs(f.report.wallMs)} (${(f.report.bytes / 1e6).toFixed(0)} MB)`);
        await dst.stop();
      }
      for (const tool of TOOLS) {
        if (tool !== 'ferry' && i >= RUNS) continue;
        const dst = await startRegistry({ auth: 'none' });
        let cold: { wallMs: number; peakRss?: number };
        if (tool === 'ferry') {
          const r = await ferrySync(src, dst, reposFile);
          if (r.report.copied !== fx.images) log(`ferry cold copied ${r.report.copied} of ${fx.images} images`);
          out.ferryBytes.push(r.report.bytes);
          out.ferryConnections.cold.push(r.report.connections);
          cold = r;
        } else cold = tool === 'skopeo sync' ? await skopeoSync(src, dst, fx) : await dregsyWay(src, dst, fx);
        out.cold[tool].push(cold.wallMs);
        if (cold.peakRss) out.coldRss[tool].push(cold.peakRss);
        const before = await sourceLog();
        const noop = tool === 'ferry' ? await ferrySync(src, dst, reposFile) : tool === 'skopeo sync' ? await skopeoSync(src, dst, fx) : await dregsyWay(src, dst, fx);
        const after = await sourceLog();
        if ('report' in noop) {
          if (noop.report.upToDate !== fx.images) log(`ferry no-op found ${noop.report.upToDate}/${fx.images} up to date (copied ${noop.report.copied})`);
          out.ferryConnections.noop.push(noop.report.connections);
        }
        out.noop[tool].push(noop.wallMs);
        out.noopGets[tool].push(after.gets - before.gets);
        out.noopRequests[tool].push(after.all - before.all);
        log(`run ${i + 1}: ${tool}: cold ${fmtMs(cold.wallMs)}, no-op ${fmtMs(noop.wallMs)} with ${after.gets - before.gets} source manifest GETs (${after.all - before.all} source requests)`);
        await dst.stop();
      }
    }
    return out;
  } finally {
    await src.stop();
  }
}

interface Memory {
  medium: number[];
  big: number[];
  parallel: number[];
  bigWall: number[];
  parallelWall: number[];
}

async function memory(): Promise<Memory> {
  const src = await startRegistry({ auth: 'none' });
  try {
    log(`building memory fixtures: 1 × ${BIG / MiB} MiB, 11 × ${MEDIUM / MiB} MiB layers (streamed)`);
    await largeImage(src, 'mem/big', 'v1', BIG, 'mem:big');
    await largeImage(src, 'mem/medium', 'v1', MEDIUM, 'mem:medium');
    const par = Array.from({ length: 10 }, (_, i) => `mem/par-${i}`);
    for (const [i, repo] of par.entries()) await largeImage(src, repo, 'v1', MEDIUM, `mem:par:${i}`);
    const parFile = writeLines('mem-repos.txt', par);
    const out: Memory = { medium: [], big: [], parallel: [], bigWall: [], parallelWall: [] };
    const copy = async (dst: RegistryHandle, repo: string): Promise<ProcResult> =>
      runOk(process.execPath, [...nodeArgs(), join(ROOT, 'bin', 'ferry.js'), 'copy', '--src-tls-verify=false', '--dest-tls-verify=false', `${src.host}/${repo}:v1`, `${dst.host}/${repo}:v1`], { timeoutMs: 900_000 });
    for (let i = 0; i < RUNS; i++) {
      const dst = await startRegistry({ auth: 'none' });
      try {
        const m = await copy(dst, 'mem/medium');
        const b = await copy(dst, 'mem/big');
        const p = await ferrySync(src, dst, parFile, 10);
        out.medium.push(m.peakRss ?? NaN);
        out.big.push(b.peakRss ?? NaN);
        out.bigWall.push(b.wallMs);
        out.parallel.push(p.peakRss ?? NaN);
        out.parallelWall.push(p.wallMs);
        log(`run ${i + 1}: peak RSS ${fmtMB(m.peakRss)} (${MEDIUM / MiB} MiB), ${fmtMB(b.peakRss)} (${BIG / MiB} MiB, ${fmtMs(b.wallMs)}), ${fmtMB(p.peakRss)} (10 × ${MEDIUM / MiB} MiB in parallel, ${fmtMs(p.wallMs)})`);
      } finally {
        await dst.stop();
      }
    }
    return out;
  } finally {
    await src.stop();
  }
}

interface Scale {
  tags: number;
  ferryWall: number[];
  ferryRss: number[];
  ferryListMs: number[];
  ferryConnections: number[];
  headsPerSec: number[];
  floorRss: number[];
}

async function scale(): Promise<Scale> {
  const src = await startRegistry({ auth: 'none' });
  const dst = await startRegistry({ auth: 'none' });
  try {
    log(`building the scale fixture: ${SCALE_REPOS} repositories × ${SCALE_TAGS} tags`);
    const started = performance.now();
    const fx = await scaleFixture(src, dst, SCALE_REPOS, SCALE_TAGS);
    log(`scale fixture built in ${fmtMs(performance.now() - started)}`);
    const reposFile = writeLines('scale-repos.txt', fx.repositories);
    const refsFile = writeLines('scale-refs.txt', fx.repositories.flatMap((r) => fx.tags.map((t) => `${r} ${t}`)));
    const tags = fx.repositories.length * fx.tags.length;
    const out: Scale = { tags, ferryWall: [], ferryRss: [], ferryListMs: [], ferryConnections: [], headsPerSec: [], floorRss: [] };
    for (let i = 0; i < RUNS; i++) {
      const f = await floor('head', src, dst, refsFile, SCALE_IMAGES);
      out.headsPerSec.push(f.report.requests / (f.report.wallMs / 1000));
      if (f.peakRss) out.floorRss.push(f.peakRss);
      const r = await ferrySync(src, dst, reposFile, SCALE_IMAGES);
      if (r.report.upToDate !== tags) throw new Error(`scale: ferry found ${r.report.upToDate}/${tags} up to date (copied ${r.report.copied})`);
      out.ferryWall.push(r.wallMs);
      out.ferryListMs.push(r.report.listMs);
      out.ferryConnections.push(r.report.connections);
      if (r.peakRss) out.ferryRss.push(r.peakRss);
      log(`run ${i + 1}: HEAD floor ${(f.report.requests / (f.report.wallMs / 1000)).toFixed(0)} HEADs/s; ferry ${fmtMs(r.wallMs)} = ${(tags / (r.wallMs / 1000)).toFixed(0)} tags/s, peak RSS ${fmtMB(r.peakRss)}${Number.isNaN(r.report.connections) ? '' : `, ${r.report.connections} TCP connections`}`);
    }
    return out;
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

// ------------------------------------------------------------------------------------------------ report

const pass = (ok: boolean): string => (ok ? '**pass**' : '**FAIL**');

function report(machine: Record<string, string>, nproc: string, cn: ColdNoop | undefined, mem: Memory | undefined, sc: Scale | undefined, ft: FaultTimings | undefined, totalMs: number): string {
  const L: string[] = [];
  L.push('# ferry benchmarks', '');
  L.push(`Generated by \`npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, in ${fmtMs(totalMs)}.`, '');
  L.push('| machine | |', '|---|---|');
  L.push(`| CPUs (nproc) | ${nproc} (${machine.cpus}) |`, `| memory | ${machine.memory} |`, `| node | ${machine.node} |`, `| skopeo | ${machine.skopeo} |`, `| registry | ${machine.registry} (filesystem storage, plain HTTP on 127.0.0.1) |`, `| load average (1 min) at start / end | ${loadStart} / ${loadavg()[0]!.toFixed(2)} |`);
  L.push('', `Medians of ${RUNS} runs (the raw-transfer floor and ferry's cold and no-op sync: ${PAIR_RUNS} runs, each a floor and a ferry run back to back); ratios are ratios of medians measured in the same benchmark run. Peak RSS from GNU time (\`%M\`).`, '');
  if (cn) {
    const fx = cn.fixture;
    const m = (t: Tool): number => median(cn.cold[t]);
    const n = (t: Tool): number => median(cn.noop[t]);
    const floorMs = median(cn.floor);
    L.push('## Cold sync and no-op re-sync', '');
    L.push(`Fixture: ${fx.repositories.length} repositories, ${fx.images} images (${fx.multiArch} repositories multi-arch: amd64 + arm64 indexes), shared base layers; ${fx.uniqueBlobs.length} unique blobs, ${(fx.uniqueBytes / 1e6).toFixed(0)} MB unique. Source → a fresh empty target per tool and run; the no-op re-sync repeats the sync against the now-complete target. ferry: ${flags.runner === 'cli' ? `the built CLI, \`ferry sync --config FILE --once\`, on a generated dregsy config (repositories split into ${Math.ceil(FERRY_IMAGES / 4)} concurrent tasks, about ${FERRY_IMAGES} images in flight; start-up included)` : `${FERRY_IMAGES} images in flight, one shared \`BlobTransfers\` (bench/ferry-sync.ts)`}. skopeo sync: one \`skopeo sync --all\` per repository. dregsy way: \`skopeo list-tags\`, then one \`skopeo copy --all\` per tag, sequentially. Source manifest GETs counted from the source registry's access log.`, '');
    L.push('| tool | cold | cold peak RSS | no-op | no-op source manifest GETs | no-op source requests |', '|---|---|---|---|---|---|');
    for (const t of TOOLS) L.push(`| ${t} | ${fmtMs(m(t))} | ${fmtMB(median(cn.coldRss[t]))} | ${fmtMs(n(t))} | ${median(cn.noopGets[t])} | ${median(cn.noopRequests[t])} |`);
    L.push(`| raw-transfer floor (GET → POST + PUT, ${FERRY_IMAGES} in flight) | ${fmtMs(floorMs)} | | | | |`, '');
    const coldVsSkopeo = m('ferry') / m('skopeo sync');
    const coldVsFloor = m('ferry') / floorMs;
    const noopVsSkopeo = n('ferry') / n('skopeo sync');
    const gets = Math.max(...cn.noopGets.ferry);
    L.push('| target | measured | status |', '|---|---|---|');
    L.push(`| cold: ferry ≤ 0.5 × skopeo sync | ${fmtRatio(coldVsSkopeo)} (dregsy way: ferry = ${fmtRatio(m('ferry') / m('dregsy way'))}) | ${pass(coldVsSkopeo <= 0.5)} |`);
    L.push(`| cold: ferry ≤ 1.3 × raw-transfer floor | ${fmtRatio(coldVsFloor)} | ${pass(coldVsFloor <= 1.3)} |`);
    L.push(`| no-op: ferry ≤ 0.3 × skopeo sync | ${fmtRatio(noopVsSkopeo)} (dregsy way: ${fmtRatio(n('ferry') / n('dregsy way'))}) | ${pass(noopVsSkopeo <= 0.3)} |`);
    L.push(`| no-op: 0 source manifest GETs | ${gets} (skopeo sync ${median(cn.noopGets['skopeo sync'])}, dregsy way ${median(cn.noopGets['dregsy way'])}, for ${fx.images} tags) | ${pass(gets === 0)} |`, '');
    L.push(`Raw runs (ms): ${TOOLS.map((t) => `${t} cold [${cn.cold[t].map(Math.round).join(', ')}], no-op [${cn.noop[t].map(Math.round).join(', ')}]`).join('; ')}; floor [${cn.floor.map(Math.round).join(', ')}]; ferry ÷ floor per back-to-back pair [${cn.floor.map((f, k) => fmtRatio(cn.cold.ferry[k]! / f)).join(', ')}]. ferry sent ${(median(cn.ferryBytes) / 1e6).toFixed(0)} MB of blob bytes per cold run${flags.runner === 'cli' ? '' : ` and opened ${median(cn.ferryConnections.cold)} TCP connections cold, ${median(cn.ferryConnections.noop)} no-op`}.`, '');
  }
  if (mem) {
    const big = median(mem.big);
    const med = median(mem.medium);
    const par = median(mem.parallel);
    L.push('## Memory', '');
    L.push(`Peak RSS of one ferry process (\`ferry copy\` for single images; the sync runner with 10 images in flight for the parallel case). Layers are streamed: source → verify → upload.`, '');
    L.push('| case | peak RSS | wall |', '|---|---|---|');
    L.push(`| one image, one ${MEDIUM / MiB} MiB layer (\`ferry copy\`) | ${fmtMB(med)} | |`);
    L.push(`| one image, one ${BIG / MiB} MiB layer (\`ferry copy\`) | ${fmtMB(big)} | ${fmtMs(median(mem.bigWall))} |`);
    L.push(`| ten images with ${MEDIUM / MiB} MiB layers in parallel | ${fmtMB(par)} | ${fmtMs(median(mem.parallelWall))} |`, '');
    const flat = big - med;
    L.push('| target | measured | status |', '|---|---|---|');
    L.push(`| peak RSS ≤ 150 MB | max ${fmtMB(Math.max(big, med, par))} | ${pass(Math.max(big, med, par) <= 150e6)} |`);
    L.push(`| flat in layer size (${BIG / MiB} MiB vs ${MEDIUM / MiB} MiB layer: ≤ +20 MB) | ${flat >= 0 ? '+' : ''}${(flat / 1e6).toFixed(1)} MB | ${pass(flat <= 20e6)} |`, '');
  }
  if (sc) {
    const tagsPerSec = sc.tags / (median(sc.ferryWall) / 1000);
    const heads = median(sc.headsPerSec);
    const floorTags = heads / 2;
    const rss = median(sc.ferryRss);
    L.push('## Scale', '');
    L.push(`${sc.tags.toLocaleString('en')} tags (${SCALE_REPOS} repositories × ${SCALE_TAGS} tags), all already in sync. ferry (${flags.runner === 'cli' ? `\`ferry sync --once\`, ${Math.ceil(SCALE_IMAGES / 4)} concurrent tasks` : `${SCALE_IMAGES} images in flight`}) lists every repository's tags and decides every tag with a HEAD on the source and one on the target; its time includes process start and tag listing${sc.ferryListMs.some(Number.isNaN) ? '' : ` (${fmtMs(median(sc.ferryListMs))} until the last listing returned)`}. Floor: a plain loop of manifest HEADs (same Accept header, ${SCALE_IMAGES} in flight) over the same tags on both registries, divided by the 2 requests ferry needs per tag.`, '');
    L.push('| measure | value |', '|---|---|');
    L.push(`| ferry wall time | ${fmtMs(median(sc.ferryWall))} |`, `| ferry tags checked per second | ${tagsPerSec.toFixed(0)} |`, `| HEAD floor | ${heads.toFixed(0)} HEADs/s = ${floorTags.toFixed(0)} tags/s |`, `| ferry peak RSS | ${fmtMB(rss)} |`, ...(sc.floorRss.length ? [`| HEAD floor's own peak RSS (a bare undici request() loop, for scale) | ${fmtMB(median(sc.floorRss))} |`] : []), ...(flags.runner === 'cli' ? [] : [`| ferry TCP connections opened | ${median(sc.ferryConnections)} for ${2 * sc.tags + SCALE_REPOS} requests |`]), '');
    L.push('| target | measured | status |', '|---|---|---|');
    L.push(`| ≥ 0.8 × floor | ${fmtRatio(tagsPerSec / floorTags)} | ${pass(tagsPerSec / floorTags >= 0.8)} |`);
    L.push(`| peak RSS ≤ 150 MB | ${fmtMB(rss)} | ${pass(rss <= 150e6)} |`, '');
  }
  if (ft) L.push(...faultTimingsReport(ft));
  if (ferryErrors.length) L.push('## ferry errors during the run', '', ...ferryErrors.map((e) => `- ${e}`), '');
  if (!hasGnuTime) L.push('Note: /usr/bin/time is missing (`apt-get install -y time`), so no peak RSS was measured.', '');
  return L.join('\n');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  await bundle();
  const machine = await machineInfo();
  const nproc = (await run('nproc', [], { rss: false })).stdout.trim();
  const cn = only.has('cold') || only.has('noop') ? await coldNoop() : undefined;
  const mem = only.has('memory') ? await memory() : undefined;
  const sc = only.has('scale') ? await scale() : undefined;
  const ft = only.has('faults') ? await faultTimings(quick ? 1 : RUNS, (m) => log(`faults: ${m}`)) : undefined;
  const md = report(machine, nproc, cn, mem, sc, ft, performance.now() - t0);
  process.stdout.write(md + '\n');
  if (!flags['no-write']) {
    const file = fullRun ? join(ROOT, 'docs', 'benchmarks.md') : join(OUT, 'benchmarks.md');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, md + '\n');
    log(`written to ${file}${fullRun ? '' : ' (not a full run: docs/benchmarks.md left alone)'}`);
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    process.exit(1);
  },
);
