/** Process exit codes, as dregsy uses them where it has them. */
export const EXIT = {
  ok: 0,
  /** a task or copy failed, or the config is invalid */
  failure: 1,
  /** wrong command-line usage */
  usage: 2,
  /** `ferry plan`: the target differs from what the config asks for */
  drift: 3,
} as const;
