// Column lineage bench (#19): `collect dbt` of a 10k-model manifest whose compiled SQL is of
// realistic shape (CTEs, joins, `select *`, unions, aggregations), with column lineage vs
// without, in the same run, each in a fresh process. Alone: `npm run bench -- columns`
// (BENCH_MODELS=1000 for a shorter run).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchRow } from './run.ts'
import { writeSyntheticManifest } from './gen-manifest.ts'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))

type Measured = { ms: number; cpuMs: number; maxRssBytes: number; detail: string }

function measure(task: 'collect' | 'collect-columns', dir: string, db: string): Measured {
  const out = execFileSync(TSX, [CHILD, task, dir, db], { encoding: 'utf8', maxBuffer: 1 << 20 })
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Measured
}

export async function benchColumns(
  models = Number(process.env.BENCH_MODELS ?? 10_000),
): Promise<BenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'meshwatch-bench-columns-'))
  try {
    const target = join(tmp, 'target')
    mkdirSync(target)
    await writeSyntheticManifest(join(target, 'manifest.json'), { models, sql: 'realistic' })
    const size = statSync(join(target, 'manifest.json')).size
    const runs = Number(process.env.BENCH_RUNS ?? 3)
    // Interleaved, so a burst of load on a shared machine hits both sides alike; best of `runs`.
    const plain: Measured[] = []
    const withColumns: Measured[] = []
    for (let i = 0; i < runs; i++) {
      plain.push(measure('collect', target, join(tmp, `plain-${i}.db`)))
      withColumns.push(measure('collect-columns', target, join(tmp, `columns-${i}.db`)))
    }
    const best = (xs: Measured[]) => [...xs].sort((a, b) => a.ms - b.ms)[0]!
    const leastRss = (xs: Measured[]) => Math.min(...xs.map((x) => x.maxRssBytes))
    const [p, c] = [best(plain), best(withColumns)]
    const added = c.ms - p.ms
    const rss = leastRss(withColumns) / leastRss(plain)
    const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`
    return [
      {
        name: `columns: column lineage of ${models} models (${mb(size)}) added to collect dbt, time`,
        value: added / p.ms,
        unit: '×',
        goal: '≤ 1×',
        ok: added / p.ms <= 1,
        detail: `collect dbt ${p.ms.toFixed(0)} ms, with column lineage ${c.ms.toFixed(0)} ms (CPU ${p.cpuMs.toFixed(0)} vs ${c.cpuMs.toFixed(0)} ms); ${c.detail}`,
      },
      {
        name: 'columns: collect dbt with column lineage, peak RSS vs without',
        value: rss,
        unit: '×',
        goal: '≤ 1.5×',
        ok: rss <= 1.5,
        detail: `${mb(leastRss(withColumns))} vs ${mb(leastRss(plain))}`,
      },
      {
        name: 'columns: column lineage throughput',
        value: models / (Math.max(added, 1) / 1000),
        unit: 'models/s',
        goal: 'info',
        ok: true,
        detail: `${(added / models).toFixed(2)} ms per model added`,
      },
    ]
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
