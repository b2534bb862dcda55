// Column lineage bench (#19): `collect dbt` of a 10k-model manifest whose compiled SQL is of
// realistic shape (CTEs, joins, `select *`, unions, aggregations), with column lineage vs
// without, in the same run, each in a fresh process: the first collect into an empty store, then
// a re-collect of the same SQL (a new dbt invocation) into that store, as CI collects a project
// again and again. Alone: `npm run bench -- columns` (BENCH_MODELS=1000 for a shorter run).
import { execFileSync } from 'node:child_process'
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchRow } from './run.ts'
import { writeSyntheticManifest } from './gen-manifest.ts'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const FLOOR = fileURLToPath(new URL('./parse-floor.ts', import.meta.url))
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))

type Measured = { ms: number; cpuMs: number; maxRssBytes: number; detail: string }

function measure(task: 'collect' | 'collect-columns', dir: string, db: string): Measured {
  const out = execFileSync(TSX, [CHILD, task, dir, db], { encoding: 'utf8', maxBuffer: 1 << 20 })
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Measured
}

/** A new dbt invocation of the same project: another generated_at, so no batch is a duplicate. */
function bumpGeneratedAt(manifest: string, run: number): void {
  const fd = openSync(manifest, 'r+')
  try {
    const head = Buffer.alloc(4096)
    readSync(fd, head, 0, head.length, 0)
    const at = head.indexOf('"generated_at":"2026-01-01T00:00:')
    if (at < 0) throw new Error(`${manifest}: no generated_at to change`)
    const seconds = String(run % 60).padStart(2, '0')
    writeSync(fd, seconds, at + '"generated_at":"2026-01-01T00:00:'.length)
  } finally {
    closeSync(fd)
  }
}

type Floor = {
  models: number
  failed: number
  loadMs: number
  parseMs: number
  firstMsPerModel: number
  restMsPerModel: number
  rssAddedBytes: number
}

function measureFloor(manifest: string): Floor {
  const out = execFileSync(TSX, [FLOOR, manifest], { encoding: 'utf8', maxBuffer: 1 << 20 })
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Floor
}

/**
 * What the first collect cannot go below with this parser: the parse alone, split perfectly over
 * the cores, against `collect dbt`'s wall time; and one parsing thread's resident memory.
 */
function floorRows(floors: Floor[], plain: Measured[]): BenchRow[] {
  const f = [...floors].sort((a, b) => a.parseMs - b.parseMs)[0]!
  const p = best(plain)
  const cores = availableParallelism()
  return [
    {
      name: `columns: floor, the parse alone of the ${f.models} models' SQL split over ${cores} cores, vs collect dbt`,
      value: f.parseMs / cores / p.ms,
      unit: '×',
      goal: 'info',
      ok: true,
      detail: `${f.parseMs.toFixed(0)} ms of CPU on one thread (first fifth ${f.firstMsPerModel.toFixed(2)} ms per model, the rest ${f.restMsPerModel.toFixed(2)}; loading ${f.loadMs.toFixed(0)} ms; ${f.failed} not parsed) vs ${p.ms.toFixed(0)} ms; no walk, no edges, no store`,
    },
    {
      name: 'columns: floor, resident memory of one thread that parses, vs collect dbt',
      value: f.rssAddedBytes / leastRss(plain),
      unit: '×',
      goal: 'info',
      ok: true,
      detail: `+${mb(f.rssAddedBytes)} (the parser's code and WebAssembly memory) vs ${mb(leastRss(plain))}`,
    },
  ]
}

const best = (xs: Measured[]) => [...xs].sort((a, b) => a.ms - b.ms)[0]!
const leastRss = (xs: Measured[]) => Math.min(...xs.map((x) => x.maxRssBytes))
const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`

function rows(label: string, plain: Measured[], withColumns: Measured[]): BenchRow[] {
  const [p, c] = [best(plain), best(withColumns)]
  const added = c.ms - p.ms
  const rss = leastRss(withColumns) / leastRss(plain)
  return [
    {
      name: `${label}, time added`,
      value: added / p.ms,
      unit: '×',
      goal: '≤ 1×',
      ok: added / p.ms <= 1,
      detail: `collect dbt ${p.ms.toFixed(0)} ms, with column lineage ${c.ms.toFixed(0)} ms (CPU ${p.cpuMs.toFixed(0)} vs ${c.cpuMs.toFixed(0)} ms); ${c.detail}`,
    },
    {
      // the steadier figure on a shared machine: wall time waits for the cores others use
      name: `${label}, CPU time added`,
      value: (c.cpuMs - p.cpuMs) / p.cpuMs,
      unit: '×',
      goal: 'info',
      ok: true,
      detail: `${p.cpuMs.toFixed(0)} vs ${c.cpuMs.toFixed(0)} ms CPU (best-time runs)`,
    },
    {
      name: `${label}, peak RSS vs without`,
      value: rss,
      unit: '×',
      goal: '≤ 1.5×',
      ok: rss <= 1.5,
      detail: `${mb(leastRss(withColumns))} vs ${mb(leastRss(plain))}`,
    },
  ]
}

export async function benchColumns(
  models = Number(process.env.BENCH_MODELS ?? 10_000),
): Promise<BenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'meshwatch-bench-columns-'))
  try {
    const target = join(tmp, 'target')
    mkdirSync(target)
    const manifest = join(target, 'manifest.json')
    await writeSyntheticManifest(manifest, { models, sql: 'realistic' })
    const size = statSync(manifest).size
    const runs = Number(process.env.BENCH_RUNS ?? 3)
    // Interleaved, so a burst of load on a shared machine hits both sides alike; best of `runs`.
    const first = { plain: [] as Measured[], columns: [] as Measured[] }
    const again = { plain: [] as Measured[], columns: [] as Measured[] }
    const floors: Floor[] = []
    for (let i = 0; i < runs; i++) {
      const [plainDb, columnsDb] = [join(tmp, `plain-${i}.db`), join(tmp, `columns-${i}.db`)]
      bumpGeneratedAt(manifest, 2 * i)
      first.plain.push(measure('collect', target, plainDb))
      first.columns.push(measure('collect-columns', target, columnsDb))
      bumpGeneratedAt(manifest, 2 * i + 1)
      again.plain.push(measure('collect', target, plainDb))
      again.columns.push(measure('collect-columns', target, columnsDb))
      floors.push(measureFloor(manifest))
    }
    const added = best(first.columns).ms - best(first.plain).ms
    const addedCpu = best(first.columns).cpuMs - best(first.plain).cpuMs
    return [
      ...rows(
        `columns: column lineage of ${models} models (${mb(size)}), first collect into an empty store`,
        first.plain,
        first.columns,
      ),
      ...rows('columns: re-collect of the same SQL into that store', again.plain, again.columns),
      {
        name: 'columns: column lineage throughput, first collect',
        value: models / (Math.max(added, 1) / 1000),
        unit: 'models/s',
        goal: 'info',
        ok: true,
        detail: `${(added / models).toFixed(2)} ms per model added`,
      },
      {
        name: 'columns: column lineage throughput in CPU time, first collect',
        value: models / (Math.max(addedCpu, 1) / 1000),
        unit: 'models/s',
        goal: 'info',
        ok: true,
        detail: `${(addedCpu / models).toFixed(2)} ms of CPU per model added`,
      },
      ...floorRows(floors, first.plain),
    ]
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
