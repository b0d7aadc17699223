/**
 * A task run's Docker Hub pulls, planned and spent. The plan counts from HEADs, which say that an image is an index
 * but not how many children it has: such a count is a floor ("at least N"). Each copy corrects its share when it
 * reads its source manifest (`known`: itself and the children it selected), and again when it ends (`settle`: what
 * it spent, fewer when children were on the target already or shared with another tag), so the running total
 * converges on the pulls spent.
 */
export interface TallyEntry {
  pulls: number;
  estimated: boolean;
}

export class PullTally {
  #planned = 0;
  #floors = 0;

  /** Pulls planned so far: exact counts plus the floors of images not read yet. */
  get planned(): number {
    return this.#planned;
  }

  /** Some image is still counted by its floor: say "at least". */
  get atLeast(): boolean {
    return this.#floors > 0;
  }

  /** One planned copy's pulls; `estimated` when it is a floor. */
  add(pulls: number, estimated: boolean): TallyEntry {
    this.#planned += pulls;
    if (estimated) this.#floors++;
    return { pulls, estimated };
  }

  /** The copy read its source manifest: it needs `pulls` (itself and the children it selected). True on a change. */
  known(e: TallyEntry, pulls: number): boolean {
    const changed = e.pulls !== pulls || e.estimated;
    this.#planned += pulls - e.pulls;
    if (e.estimated) this.#floors--;
    e.pulls = pulls;
    e.estimated = false;
    return changed;
  }

  /** The copy ended: what it spent is its count. True on a change. */
  settle(e: TallyEntry, spent: number): boolean {
    return this.known(e, spent);
  }
}
