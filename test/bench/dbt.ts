import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchRow } from './run.ts'
import { writeSyntheticManifest } from './gen-manifest.ts'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))

function measure(task: 'parse' | 'collect', dir: string, db?: string) {
  const out = execFileSync(TSX, [CHILD, task, dir, ...(db ? [db] : [])], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  })
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as {
    ms: number
    cpuMs: number
    sysMs: number
    gcMs: number
    maxRssBytes: number
    detail: string
  }
}

/** Issue 2's bench: collect+store of a 10k-model manifest vs JSON.parse of the same file, and peak RSS. */
export async function benchDbt(
  models = Number(process.env.BENCH_MODELS ?? 10_000),
): Promise<BenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'meshwatch-bench-dbt-'))
  try {
    const target = join(tmp, 'target')
    mkdirSync(target)
    await writeSyntheticManifest(join(target, 'manifest.json'), { models })
    const size = statSync(join(target, 'manifest.json')).size
    // Best of 3 for both sides, each in a fresh process.
    const parse = [0, 1, 2].map(() => measure('parse', target)).sort((a, b) => a.ms - b.ms)[0]!
    const collect = [0, 1, 2]
      .map((i) => measure('collect', target, join(tmp, `bench-${i}.db`)))
      .sort((a, b) => a.ms - b.ms)[0]!
    // What moves the ratio from one machine to another, both sides: CPU time (all threads, so GC
    // helper threads too), of it the kernel's (reads, page writes, fsync), and GC pauses.
    const parts = (m: typeof parse) =>
      `CPU ${m.cpuMs.toFixed(0)} ms (system ${m.sysMs.toFixed(0)}), GC pauses ${m.gcMs.toFixed(0)} ms`
    return [
      {
        name: 'dbt collect+store vs read+JSON.parse, CPU time',
        value: collect.cpuMs / parse.cpuMs,
        unit: '×',
        goal: 'info',
        ok: true,
        detail: `collect: ${parts(collect)}; parse: ${parts(parse)}`,
      },
      {
        name: `dbt collect+store ${models} models (${(size / 1e6).toFixed(0)} MB) vs read+JSON.parse`,
        value: collect.ms / parse.ms,
        unit: '×',
        goal: '≤ 3×',
        ok: collect.ms / parse.ms <= 3,
        detail: `${collect.ms.toFixed(0)} ms vs ${parse.ms.toFixed(0)} ms; ${collect.detail}`,
      },
      {
        name: 'dbt collect+store peak RSS / manifest size',
        value: collect.maxRssBytes / size,
        unit: '×',
        goal: '≤ 4×',
        ok: collect.maxRssBytes / size <= 4,
        detail: `${(collect.maxRssBytes / 1e6).toFixed(0)} MB (JSON.parse alone: ${(parse.maxRssBytes / 1e6).toFixed(0)} MB)`,
      },
    ]
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
