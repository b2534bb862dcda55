import type { Db } from '../client.ts'
import { storeMark } from './node-cache.ts'

/**
 * Whole-mesh reads (the lineage overview, an opened domain) kept until the store changes, so the page's
 * next load of a 50k-dataset mesh does not aggregate it again. The store has changed when SQLite's
 * data_version moved (another connection committed) or this connection's total_changes() did (a write
 * here): storeMark, the mark node-cache.ts trusts. At most READ_CACHE_ENTRIES answers are kept.
 */
const READ_CACHE_ENTRIES = 32

interface ReadCache {
  mark: string | undefined
  answers: Map<string, unknown>
  markOf: () => string
}

const caches = new WeakMap<Db, ReadCache>()

function cacheOf(db: Db): ReadCache {
  let c = caches.get(db)
  if (!c) {
    c = { mark: undefined, answers: new Map(), markOf: storeMark(db) }
    caches.set(db, c)
  }
  return c
}

/** `read()`'s answer for `key`, computed again only after the store changed. */
export function cachedRead<T>(db: Db, key: string, read: () => T): T {
  const c = cacheOf(db)
  const mark = c.markOf()
  if (mark !== c.mark) {
    c.answers.clear()
    c.mark = mark
  }
  if (c.answers.has(key)) return c.answers.get(key) as T
  const answer = read()
  if (c.answers.size >= READ_CACHE_ENTRIES) c.answers.delete(c.answers.keys().next().value ?? '')
  c.answers.set(key, answer)
  return answer
}
