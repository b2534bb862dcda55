import type pg from 'pg'
import { pgParams } from './unnest.ts'

// storeBatch's statements on one transaction, with the writes whose answer nothing waits for held
// back and sent together: before the next statement that needs an answer (a read, an upsert
// whose ids are used) and at the end, all held writes go as one statement, each a data-modifying
// WITH query (`with w0 as (insert …), w1 as (update …) select …`), so a batch costs one round
// trip for them instead of one each. Every statement still sees every write issued before it.
// Held writes must not touch one row twice (the writers fold repeats first, and run a write that
// repeats a row — a layer after the first — as its own statement).

/**
 * Statement texts sent again and again (each table's upsert, the reads, the usual set of held
 * writes) go as named prepared statements: each connection parses and plans them once, then
 * only binds them. A text is named the second time it is seen, at most NAMED of them in all, so
 * one-off texts (an unusual mix of held writes) neither fill the slots nor stay prepared.
 */
const NAMED = 64
const names = new Map<string, string>()
const seenOnce = new Set<string>()

/** pg's query config for `text`: named once it has been seen before and while slots are free. */
function statement(text: string, values: readonly unknown[]): pg.QueryConfig {
  const params = pgParams(values)
  const name = names.get(text)
  if (name !== undefined) return { name, text, values: params }
  if (names.size < NAMED && seenOnce.has(text)) {
    seenOnce.delete(text)
    const fresh = `meshwatch_${names.size}`
    names.set(text, fresh)
    return { name: fresh, text, values: params }
  }
  if (seenOnce.size >= 4 * NAMED) seenOnce.clear()
  seenOnce.add(text)
  return { text, values: params }
}

interface Held {
  text: string
  values: unknown[]
  /** Called with the rows the write returns (its RETURNING list), once they are back. */
  rows?: (rows: Record<string, unknown>[]) => void | Promise<void>
}

/** The transaction storeBatch writes on: `query` as pg's, `hold` for a write sent later. */
export class Writes {
  readonly #tx: pg.PoolClient
  #held: Held[] = []

  constructor(tx: pg.PoolClient) {
    this.#tx = tx
  }

  /** Sends what is held, then `text`: its answer sees every write issued before it. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    await this.flush()
    return this.#tx.query<R>(statement(text, values))
  }

  /** Holds a write (INSERT/UPDATE/DELETE) for the next statement; `rows` gets what it returns. */
  hold<R extends Record<string, unknown>>(
    text: string,
    values: unknown[],
    rows?: (rows: R[]) => void | Promise<void>,
  ): void {
    this.#held.push({ text, values, ...(rows ? { rows: rows as Held['rows'] } : {}) })
  }

  /** Sends every held write in one statement, then hands each its returned rows. */
  async flush(): Promise<void> {
    const held = this.#held
    if (held.length === 0) return
    this.#held = []
    const only = held[0]
    if (held.length === 1 && only) {
      const r = await this.#tx.query(statement(only.text, only.values))
      await only.rows?.(r.rows)
      return this.flush()
    }
    const values: unknown[] = []
    const parts = held.map((h, i) => {
      const offset = values.length
      values.push(...h.values)
      // each write's $n numbered after the writes before it
      return `w${i} as (${h.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`
    })
    const wanted = held.flatMap((h, i) => (h.rows ? [i] : []))
    const select =
      wanted.length === 0
        ? 'select 1'
        : `select ${wanted.map((i) => `(select coalesce(json_agg(w${i}), '[]') from w${i}) as w${i}`).join(', ')}`
    const r = await this.#tx.query<Record<string, Record<string, unknown>[]>>(
      statement(`with ${parts.join(',\n')}\n${select}`, values),
    )
    const row = r.rows[0] ?? {}
    for (const i of wanted) await held[i]?.rows?.(row[`w${i}`] ?? [])
    // what those answers held in turn
    await this.flush()
  }
}
