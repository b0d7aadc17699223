/**
 * The retries one logical operation may make, shared by every layer that retries on its behalf.
 *
 * A manifest GET retries a failed exchange (in `send`) and a body that breaks off (in `fetchBody`); a blob copy
 * retries a source open, a resumed download, an upload request and a whole transfer. When each layer kept its own
 * count they multiplied, so one manifest GET or one blob copy could make dozens of attempts. Here the operation
 * creates one budget and hands it down: every layer draws from it, so the operation as a whole makes at most
 * `limit` retries altogether.
 *
 * A draw's ordinal sizes the backoff before the retry. It counts the draws made through one handle: the operation's
 * own, or one from `forRequest()` for each distinct request of an operation that makes several (a blob copy's
 * mount, HEAD and download), so a request's first retry waits a first retry's backoff however much the operation has
 * already spent.
 */
export class RetryBudget {
  readonly #spent: { used: number };
  #drawn = 0;

  /** @param limit retries allowed for the whole operation (its first attempts are free) */
  constructor(
    readonly limit: number,
    spent?: { used: number },
  ) {
    this.#spent = spent ?? { used: 0 };
  }

  /** Retries drawn so far by the whole operation. */
  get used(): number {
    return this.#spent.used;
  }

  get left(): number {
    return Math.max(0, this.limit - this.#spent.used);
  }

  /**
   * Draws one retry: its ordinal through this handle (1 for the first, which sizes its backoff), or undefined when
   * the operation's budget is spent and the caller must give up.
   */
  draw(): number | undefined {
    if (this.#spent.used >= this.limit) return undefined;
    this.#spent.used++;
    return ++this.#drawn;
  }

  /** A handle for one request of the operation: its draws count against the operation, its backoff is its own. */
  forRequest(): RetryBudget {
    return new RetryBudget(this.limit, this.#spent);
  }
}
