/**
 * A task run's Docker Hub pulls, planned and spent. The plan counts from HEADs, which say that an image is an index
 * but not how many children it has: such a count is a floor ("at least N"), and each copy corrects its share when
 * it reads its source manifest (`known`), or when it ends without reading one (`settle`).
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

  /** The copy ended; if it never read a manifest (up to date, failed early), what it spent is its count. */
  settle(e: TallyEntry, spent: number): boolean {
    return e.estimated ? this.known(e, spent) : false;
  }
}
