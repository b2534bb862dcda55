import { workerData } from 'node:worker_threads'
import type { Relation } from './relations.ts'
import { RelationIndex } from './relations.ts'
import { lineageOfSql, type SqlLineage } from './lineage.ts'
import type { PoolChunk, PoolInit, PoolReply } from './pool.ts'

// A column lineage worker (pool.ts): the relations of the project once, then chunks of models.
const init = workerData as PoolInit
const signal = new Int32Array(init.signal)
const reply = (m: PoolReply) => {
  init.port.postMessage(m)
  Atomics.add(signal, 0, 1)
  Atomics.notify(signal, 0)
}
const relations: Relation[] = []
const index = new RelationIndex()
for (const r of init.relations) {
  const relation: Relation = { name: r.name, ref: r.ref, columns: r.columns }
  relations.push(relation)
  index.add(r.names, relation)
}
init.port.on('message', (chunk: PoolChunk) => {
  try {
    for (const [k, columns] of chunk.updates) relations[k]!.columns = columns
    const results: [number, SqlLineage][] = chunk.tasks.map((t) => [
      t.k,
      lineageOfSql(t.sql, {
        dialect: init.dialect,
        output: t.output,
        upstream: t.upstream.map((k) => relations[k]!),
        resolve: (name) => index.get(name),
        ...(init.engine ? { engine: init.engine } : {}),
        ...(init.perColumn ? { perColumn: true } : {}),
      }),
    ])
    reply({ results })
  } catch (e) {
    reply({ fatal: e instanceof Error ? e.message : String(e) })
  }
})
reply({ ready: true })
