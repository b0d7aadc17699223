import { FerryError } from '../../errors.js';
import type { Exchange, PullInfo, RegistryClient } from '../client.js';
import { connectRegistry, type ConnectDeps, type RegistryOptions } from '../connect.js';
import { headManifest } from '../manifests.js';
import { ANONYMOUS, type PullBudget } from './pull-budget.js';

/**
 * Connects `registry` with the budget wired in: its observer sees every exchange, its gate guards manifest GETs,
 * and a paused GET re-reads the budget with a HEAD of the manifest it waits for (free on Docker Hub).
 */
export async function connectBudgeted(
  registry: string,
  o: RegistryOptions,
  deps: ConnectDeps,
  budget: PullBudget,
  identity = ANONYMOUS,
): Promise<RegistryClient> {
  const observe = budget.observer(identity);
  const outer = deps.onExchange;
  const onExchange = (e: Exchange): void => {
    observe(e);
    outer?.(e);
  };
  let client: RegistryClient | undefined;
  const probe = async (info: PullInfo, signal?: AbortSignal): Promise<void> => {
    if (client) await headManifest(client, info, 'pull', signal ? { signal } : {});
  };
  client = await connectRegistry(registry, o, { ...deps, onExchange, manifestGate: budget.gate(identity, probe) });
  return client;
}

export interface PoolMember {
  /** the name pulls are charged to in the budget (a username, never a secret) */
  identity: string;
  client: RegistryClient;
}

/**
 * Several accounts for one source registry (each Docker Hub account has its own pull budget, regclient #766): one
 * session per account, all reporting to one PullBudget, and `choose()` hands out the session whose account has most
 * budget left. Built by the registry pool (sync/registry-pool.ts) from `registries.<name>.credentials`.
 */
export class CredentialPool {
  readonly registry: string;
  readonly #budget: PullBudget;
  readonly #members: PoolMember[];

  constructor(registry: string, budget: PullBudget, members: PoolMember[]) {
    if (members.length === 0) throw new FerryError('CONFIG_INVALID', `no credentials configured for registry ${registry}`, { registry });
    this.registry = registry;
    this.#budget = budget;
    this.#members = members;
  }

  get members(): readonly PoolMember[] {
    return this.#members;
  }

  /** The member with most budget left (an unused one first, to learn its budget; ties keep the configured order). */
  choose(): PoolMember {
    const id = this.#budget.pick(this.registry, this.#members.map((m) => m.identity));
    return this.#members.find((m) => m.identity === id) as PoolMember;
  }
}
