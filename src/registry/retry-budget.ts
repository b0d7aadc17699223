/**
 * The retries one logical operation may make, shared by every layer that retries on its behalf.
 *
 * A manifest GET retries a failed exchange (in `send`) and a body that breaks off (in `fetchBody`); a blob copy
 * retries a source open, a resumed download, an upload request and a whole transfer. When each layer kept its own
 * count they multiplied (one manifest GET could make 25 attempts, one blob copy 3 × 6 × 5). Here the operation
 * creates one budget and hands it down: every layer draws from it, so the operation as a whole makes at most
 * `1 + limit` attempts of any one request and at most `limit` retries altogether.
 */
export class RetryBudget {
  #used = 0;

  /** @param limit retries allowed for the whole operation (its first attempts are free) */
  constructor(readonly limit: number) {}

  /** Retries drawn so far. */
  get used(): number {
    return this.#used;
  }

  get left(): number {
    return Math.max(0, this.limit - this.#used);
  }

  /**
   * Draws one retry: its ordinal within the operation (1 for the first retry, which sizes its backoff), or
   * undefined when the budget is spent and the caller must give up.
   */
  draw(): number | undefined {
    if (this.#used >= this.limit) return undefined;
    return ++this.#used;
  }
}
