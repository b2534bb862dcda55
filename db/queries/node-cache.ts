import type { Db } from '../client.ts'

/**
 * What this connection last wrote of the graph's nodes, so a stream of OpenLineage events that
 * names the same datasets, jobs and edges over and over (every run of a task does) writes each
 * only when something about it changes. An upsert with the same values as the last one is a
 * no-op apart from updated_at, which nothing reads for these tables.
 *
 * The cache is trusted only while nothing else wrote: another connection's commit moves SQLite's
 * data_version, and any other write on this connection (a dbt batch, an evaluation, a replay)
 * moves total_changes() away from the count recorded after our own last commit. Either clears it.
 * Entries a transaction adds are kept only once it commits.
 */
export interface NodeCache {
  /** Dataset by ref key: its id, and the upsert it last had (undefined when only ensured). */
  datasets: Map<string, { id: number; sig: string | undefined }>
  jobs: Map<string, { id: number; sig: string | undefined }>
  /** `${jobId}:${datasetId}:${direction}` of edges known to exist. */
  edges: Set<string>
  /** Latest schema version by dataset id: its columns and their hash. */
  versions: Map<
    number,
    { columns: readonly { name: string; type?: string | undefined }[]; hash: string }
  >
}

interface CacheState {
  cache: NodeCache
  /** `${data_version}:${total_changes}` right after our last commit. */
  mark: string | undefined
  /** Reads the current mark (prepared once per connection). */
  markOf: () => string
}

/** Past this many entries (of all kinds) the cache starts over, so memory stays bounded on huge meshes. */
const MAX_ENTRIES = 500_000

const states = new WeakMap<Db, CacheState>()

/**
 * Reads a mark that moves whenever the store changes: SQLite's data_version (another connection
 * committed) and this connection's total_changes() (a write here). Prepared once per call.
 */
export function storeMark(db: Db): () => string {
  const mark = db.$client
    .prepare("select (select data_version from pragma_data_version()) || ':' || total_changes()")
    .pluck()
  return () => String(mark.get())
}

const sizeOf = (c: NodeCache) => c.datasets.size + c.jobs.size + c.edges.size + c.versions.size

const emptyCache = (): NodeCache => ({
  datasets: new Map(),
  jobs: new Map(),
  edges: new Set(),
  versions: new Map(),
})

function stateOf(db: Db): CacheState {
  let state = states.get(db)
  if (!state) {
    state = { cache: emptyCache(), mark: undefined, markOf: storeMark(db) }
    states.set(db, state)
  }
  return state
}

/**
 * The cache, checked at the start of a transaction that holds the write lock, before it writes
 * anything. Call `seal` when its writes are done (still inside it) and the function seal returns
 * once it has committed: only then is the cache trusted by the next transaction.
 */
export function beginNodeCache(db: Db): { cache: NodeCache; seal: () => () => void } {
  const s = stateOf(db)
  if (s.mark === undefined || s.mark !== s.markOf() || sizeOf(s.cache) > MAX_ENTRIES) {
    s.cache = emptyCache()
  }
  // Until the commit is confirmed the entries written now are not to be trusted by anyone.
  s.mark = undefined
  return {
    cache: s.cache,
    seal: () => {
      const after = s.markOf()
      return () => {
        s.mark = after
      }
    },
  }
}
