import { formatReference } from '../../ref/reference.js';
import { compileRunFilter } from '../../filter/run-filter.js';
import type { Logger } from '../../log/logger.js';
import { systemClock } from '../../clock.js';
import { pullsAgainstBudget, type BudgetLeft } from '../../sync/plan.js';
import { planTask, type TaskPlan } from '../../sync/plan-task.js';
import { createRuntime } from '../../sync/runtime.js';
import { SyncEventBus } from '../../sync/run-events.js';
import { EXIT } from '../exit-codes.js';
import { parseGoFlags } from '../go-flags.js';
import { loadForCli } from '../load-for-cli.js';

export const PLAN_USAGE = `Usage: ferry plan --config FILE [--task REGEX] [--output text|json] [--strict]

Shows what a sync would do, with listings and HEAD requests only: no image is copied and no source manifest is
fetched, so no Docker Hub pull is spent. Exit 0: the targets are in sync; 3: something would be copied; 1: error.`;

/** `ferry plan`: per task and mapping, the tags to copy, up to date and filtered out, and the pulls needed. */
export async function planCommand(argv: string[], logger: Logger, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let values;
  try {
    values = parseGoFlags(argv, { config: 'string', run: 'string', output: 'string', strict: 'bool', help: 'bool' }, { task: 'run', h: 'help', o: 'output' }).values;
  } catch (e) {
    err.write(`ferry plan: ${(e as Error).message}\n${PLAN_USAGE}\n`);
    return EXIT.failure;
  }
  if (values.help) {
    out.write(PLAN_USAGE + '\n');
    return EXIT.ok;
  }
  const output = typeof values.output === 'string' ? values.output : 'text';
  if (typeof values.config !== 'string' || values.config === '' || (output !== 'text' && output !== 'json')) {
    err.write(`ferry plan: --config is required; --output is text or json\n${PLAN_USAGE}\n`);
    return EXIT.failure;
  }
  const select = compileRunFilter(typeof values.run === 'string' ? values.run : undefined);
  const loaded = await loadForCli(values.config, values.strict === true, logger);
  if (!loaded) return EXIT.failure;
  const runtime = createRuntime(loaded.config, { logger, clock: systemClock, bus: new SyncEventBus({ logger }) });
  const plans: TaskPlan[] = [];
  let broken = false;
  // the account each task's source pulls with (the pool's choice, when its registry lists several)
  const identities = new Map<string, string>();
  try {
    for (const task of loaded.config.tasks.filter((t) => select(t.name))) {
      try {
        const [src, dst] = await Promise.all([runtime.pool.choose(task.source), runtime.pool.client(task.target)]);
        identities.set(task.name, runtime.pool.identity(src));
        const l = runtime.listers(task);
        plans.push(await planTask(task, { src, dst, ...(l ? { listers: l } : {}) }));
      } catch (e) {
        broken = true;
        err.write(`task ${task.name}: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
    const budgets = runtime.pool.budget.snapshot();
    const report = plans.map((p) => toJson(p));
    // each task's pulls next to the budget of the account its source is pulled with
    const budgetOf = (p: TaskPlan): BudgetLeft | undefined => {
      const identity = identities.get(p.task.name);
      return identity === undefined ? undefined : runtime.pool.budget.state(p.task.source.canonical, identity);
    };
    if (output === 'json') out.write(JSON.stringify({ tasks: report, budgets, bytesMissing: null, note: BYTES_NOTE }, null, 2) + '\n');
    else out.write(toText(plans, budgets, budgetOf));
  } finally {
    await runtime.close();
  }
  if (broken || plans.some((p) => p.failed > 0)) return EXIT.failure;
  return plans.some((p) => p.toCopy > 0) ? EXIT.drift : EXIT.ok;
}

const BYTES_NOTE = 'bytes still missing on the target are not reported: blob sizes are in the source manifests, and fetching them would spend Docker Hub pulls; missing images are counted instead';

function toJson(p: TaskPlan): unknown {
  return {
    task: p.task.name,
    source: p.task.source.registry,
    target: p.task.target.registry,
    toCopy: p.toCopy,
    upToDate: p.upToDate,
    filteredOut: p.filteredOut,
    failed: p.failed,
    pullsNeeded: p.pulls,
    pullsEstimated: p.pullsEstimated,
    mappings: p.mappings.map((m) => ({
      mapping: m.mapping.index,
      ...(m.error ? { error: m.error.message } : {}),
      repositories: m.repositories.map((r) => ({
        source: formatReference(r.source),
        target: formatReference(r.target),
        ...(r.error ? { error: r.error.message } : {}),
        actions: (r.plan?.actions ?? []).map((a) =>
          a.kind === 'filtered-out'
            ? { tag: a.tag, action: a.kind, reason: a.reason }
            : { tag: a.key, action: a.kind, reason: a.reason, ...(a.kind === 'copy' ? { pulls: a.pulls, estimated: a.estimated, sourceDigest: a.sourceDigest, targetDigest: a.targetDigest } : {}) },
        ),
      })),
    })),
  };
}

function toText(plans: TaskPlan[], budgets: ReturnType<import('../../registry/budget/index.js').PullBudget['snapshot']>, budgetOf: (p: TaskPlan) => BudgetLeft | undefined): string {
  const lines: string[] = [];
  const label = { copy: 'copy', 'up-to-date': 'up to date', 'filtered-out': 'filtered', missing: 'missing', failed: 'failed' } as const;
  for (const p of plans) {
    lines.push(`task ${p.task.name} (${p.task.source.registry} -> ${p.task.target.registry})`);
    for (const m of p.mappings) {
      if (m.error) lines.push(`  mapping ${m.mapping.index}: error: ${m.error.message}`);
      for (const r of m.repositories) {
        lines.push(`  ${formatReference(r.source)} -> ${formatReference(r.target)}`);
        if (r.error) lines.push(`    error: ${r.error.message}`);
        for (const a of r.plan?.actions ?? []) {
          const tag = a.kind === 'filtered-out' ? a.tag : a.key;
          lines.push(`    ${label[a.kind].padEnd(10)} ${tag.padEnd(24)} ${a.reason}${a.kind === 'copy' ? ` (${a.pulls} pull${a.pulls === 1 ? '' : 's'}${a.estimated ? ', estimated' : ''})` : ''}`);
        }
      }
    }
    lines.push(`  => ${p.toCopy} to copy (missing images), ${p.upToDate} up to date, ${p.filteredOut} filtered out, ${p.failed} failed; ${pullsAgainstBudget(p.pulls, p.pullsEstimated, budgetOf(p))}`);
  }
  const hub = budgets.filter((b) => b.limit !== undefined);
  lines.push(hub.length ? hub.map((b) => `pull budget ${b.registry} (${b.identity}): ${b.remaining ?? '?'} of ${b.limit} left, reserve ${b.reserve}`).join('\n') : 'pull budget: no limit reported by the sources');
  lines.push(`note: ${BYTES_NOTE}`);
  return lines.join('\n') + '\n';
}
