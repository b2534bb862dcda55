// What a domain-scoped batch's authorization found not stored (authorize.ts): rows it may create
// but which had no owner to check. The check locks every row it finds, so only these can still
// change under it: a row another transaction creates after the check and before this one writes
// it. The writers never build on such a row (the upserts leave it as it is) and raise RacedError
// instead, and the whole transaction runs again (withRetry), its check then seeing the row and
// its owner. A key this transaction inserts itself is deleted from its set.

/** Keys of the rows a scoped batch names that were not stored when it was authorized. */
export interface Absent {
  /** dataset names (refKey) with no dataset row of that name */
  datasets: Set<string>
  /** names (refKey) with no alias row */
  aliases: Set<string>
  jobs: Set<string>
  runs: Set<string>
  checks: Set<string>
  products: Set<string>
}

/** A row the authorization found absent was created by another transaction meanwhile. */
export class RacedError extends Error {
  override name = 'RacedError'
  // a serialization failure's SQLSTATE: withRetry (and a caller's retry) run the transaction again
  readonly code = '40001'
  constructor(what: string, keys: Iterable<string>) {
    super(
      `${what} ${[...keys].map((k) => k.replace('\u0000', ' ')).join(', ')} created by another writer after this batch was authorized`,
    )
  }
}

/** Throws RacedError when any of `found` was absent at the check. */
export function assertNotRaced(
  what: string,
  absent: ReadonlySet<string> | undefined,
  found: Iterable<string>,
): void {
  if (!absent || absent.size === 0) return
  const raced = [...found].filter((k) => absent.has(k))
  if (raced.length > 0) throw new RacedError(what, raced)
}
