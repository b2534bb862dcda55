// The floor of the column lineage bench (#19), in its own process: @polyglot-sql/sdk's parse of
// every model's compiled SQL in the manifest, one thread, nothing else (no star expansion, no walk,
// no edges, no store), as column-lineage/sdk.ts loads the parser. What the first collect's lineage
// cannot go below on this parser: its CPU split over the cores.
// Usage: tsx test/bench/parse-floor.ts <manifest.json>
import { readFileSync } from 'node:fs'

const [manifest = ''] = process.argv.slice(2)
const m = JSON.parse(readFileSync(manifest, 'utf8')) as {
  metadata?: { adapter_type?: string }
  nodes: Record<string, { resource_type?: string; compiled_code?: string }>
}
const sqls = Object.values(m.nodes).flatMap((n) =>
  n.resource_type === 'model' && n.compiled_code ? [n.compiled_code] : [],
)
const rss0 = process.memoryUsage().rss
const c0 = process.cpuUsage()
const { parse, Dialect } = await import('../../collectors/dbt/column-lineage/sdk.ts')
const { dialectOf } = await import('../../collectors/dbt/column-lineage/dialect.ts')
const dialect = dialectOf(m.metadata?.adapter_type) ?? Dialect.Generic
const c1 = process.cpuUsage()
let failed = 0
// the first fifth apart: V8 compiles the parser's functions as they are first called
const fifth = Math.ceil(sqls.length / 5)
let firstMs = 0
for (const [k, sql] of sqls.entries()) {
  if (k === fifth) firstMs = cpuSince(c1)
  if (!parse(sql, dialect).success) failed++
}
const parseMs = cpuSince(c1)
process.stdout.write(
  `${JSON.stringify({
    models: sqls.length,
    failed,
    loadMs: cpuSince(c0) - parseMs,
    parseMs,
    firstMsPerModel: firstMs / fifth,
    restMsPerModel: (parseMs - firstMs) / (sqls.length - fifth),
    // what stays resident: the parser's compiled code and WebAssembly memory
    rssAddedBytes: process.memoryUsage().rss - rss0,
  })}\n`,
)

function cpuSince(from: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(from)
  return (c.user + c.system) / 1000
}
