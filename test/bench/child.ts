// Runs one measured task in its own process so peak RSS belongs to that task alone.
// Usage: tsx test/bench/child.ts parse|collect|collect-columns <target dir> [db file]
// (collect-columns: with column lineage from the models' SQL, #19)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PerformanceObserver, performance } from 'node:perf_hooks'
import { sqliteStore } from '../../db/store.ts'

const [task, dir = '', dbFile = ':memory:'] = process.argv.slice(2)
// Each task loads only what it runs, before it is measured: JSON.parse's process holds no
// collector code, so its peak RSS is JSON.parse's own.
const collector =
  task === 'collect' || task === 'collect-columns'
    ? {
        ...(await import('../../collectors/dbt/read.ts')),
        ...(await import('../../db/client.ts')),
        ...(await import('../../server/ingest.ts')),
        ...(await import('../../db/queries/column-lineage.ts')),
      }
    : undefined
// GC pauses of the measured task: how much of it is the heap's size, which V8 picks per machine.
let gcMs = 0
const gc = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration
})
gc.observe({ entryTypes: ['gc'] })
const c0 = process.cpuUsage()
const t0 = performance.now()
let detail = ''
if (task === 'parse') {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { nodes: object }
  detail = `${Object.keys(m.nodes).length} nodes`
} else if (collector) {
  const { readDbtTarget, openDb, ingestBatch, listColumnLineageInputs } = collector
  const db = openDb(dbFile)
  const t1 = performance.now()
  const c1 = process.cpuUsage()
  const columns = task === 'collect-columns'
  const batch = await readDbtTarget(dir, {
    namespace: 'duckdb:///bench/mesh.duckdb',
    // the dbt bench's synthetic compiled_code is no real SQL; column lineage (#19) is its own bench
    columnLineage: columns,
    // as collect dbt --db does: models whose SQL the store has seen are not parsed again
    ...(columns ? { knownColumnLineage: listColumnLineageInputs(db) } : {}),
  })
  const t2 = performance.now()
  const c2 = process.cpuUsage()
  // awaited: the same with a store that answers at once or later
  const r = await ingestBatch({ store: sqliteStore(db) }, batch)
  const cpuOf = (from: NodeJS.CpuUsage, to = process.cpuUsage()) =>
    Math.round((to.user + to.system - from.user - from.system) / 1000)
  detail = `read+map ${Math.round(t2 - t1)} ms (CPU ${cpuOf(c1, c2)}), store ${Math.round(performance.now() - t2)} ms (CPU ${cpuOf(c2)}); ${JSON.stringify(r.counts)}; ${batch.columnEdges.length} column edges, ${batch.columnLineageInputs.filter((i) => i.unchanged).length} models kept, ${batch.warnings.length} warnings`
} else {
  throw new Error(`unknown task ${task}`)
}
const ms = performance.now() - t0
const cpu = process.cpuUsage(c0)
await new Promise((r) => setTimeout(r, 100)) // the observer is told of GC entries asynchronously
gc.disconnect()
process.stdout.write(
  `${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, sysMs: cpu.system / 1000, gcMs, maxRssBytes: process.resourceUsage().maxRSS * 1024, detail })}\n`,
)
