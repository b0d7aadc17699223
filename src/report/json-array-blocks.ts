/**
 * The entries of one JSON array, kept as UTF-8 bytes in 64 KiB blocks outside the JS heap: a run report of tens
 * of thousands of images costs its bytes and nothing more (no object or string per image for the garbage
 * collector to carry), and is written out block by block. Each entry is stored with the separator and
 * indentation that precede it in the report file, so the blocks concatenate into the array's body.
 */
export class JsonArrayBlocks {
  static readonly BLOCK = 64 * 1024;
  readonly #indent: string;
  readonly #blocks: Buffer[] = [];
  #current: Buffer | undefined;
  #used = 0;
  #count = 0;

  constructor(indent: string) {
    this.#indent = indent;
  }

  get count(): number {
    return this.#count;
  }

  push(value: unknown): void {
    const text = `${this.#count > 0 ? ',' : ''}\n${this.#indent}${JSON.stringify(value)}`;
    this.#count++;
    const bytes = Buffer.byteLength(text);
    if (!this.#current || this.#used + bytes > this.#current.length) {
      // a full block is kept as it is (its unused tail is smaller than one entry); only finish() trims by copying
      if (this.#current && this.#used > 0) this.#blocks.push(this.#current.subarray(0, this.#used));
      this.#current = Buffer.allocUnsafe(Math.max(JsonArrayBlocks.BLOCK, bytes));
      this.#used = 0;
    }
    this.#used += this.#current.write(text, this.#used);
  }

  /** The array body written so far (the part between `[` and `]`), as blocks. */
  blocks(): Buffer[] {
    return this.#current && this.#used > 0 ? [...this.#blocks, this.#current.subarray(0, this.#used)] : [...this.#blocks];
  }

  /** The entries, parsed back (for tests and small reports; the file is written from `blocks`). */
  values(): unknown[] {
    return JSON.parse(`[${Buffer.concat(this.blocks()).toString('utf8')}]`) as unknown[];
  }

  /** Call when no more entries come: the last block is copied down to what it holds, releasing its unused tail. */
  finish(): this {
    if (this.#current && this.#used > 0) this.#blocks.push(Buffer.from(this.#current.subarray(0, this.#used)));
    this.#current = undefined;
    this.#used = 0;
    return this;
  }
}
