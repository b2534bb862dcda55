import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BatchSchema, CollectorError } from '../../collectors/batch.ts'
import { parseDbtArtifacts } from '../../collectors/dbt/parse.ts'
import { parseEvent } from '../../collectors/openlineage/parse.ts'
import { closeDb } from '../../db/client.ts'
import { ingestBatchOnDb } from '../../server/ingest.ts'
import { emptyStore } from '../store-image.ts'
import { mutate, mutation, pathsOf } from './mutate.ts'
import { sqliteStore } from '../../db/store.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 40)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TARGET = join(ROOT, 'fixtures/dbt/good/sales/target')
const read = (f: string) => JSON.parse(readFileSync(join(TARGET, f), 'utf8')) as unknown
const MANIFEST = read('manifest.json')
const RUN_RESULTS = read('run_results.json')
const MANIFEST_PATHS = pathsOf(MANIFEST)
const RESULT_PATHS = pathsOf(RUN_RESULTS)
const NS = 'duckdb://fuzz'

/** A collector either refuses its input with a CollectorError or returns a batch ingest accepts. */
function collectOrRefuse(manifest: unknown, runResults: unknown): 'refused' | 'collected' {
  let batch
  try {
    batch = parseDbtArtifacts({ manifest, runResults }, { namespace: NS })
  } catch (e) {
    if (e instanceof CollectorError) return 'refused'
    throw e
  }
  const check = BatchSchema.safeParse(batch)
  expect(check.success, check.success ? '' : JSON.stringify(check.error.issues.slice(0, 3))).toBe(
    true,
  )
  const db = emptyStore()
  try {
    ingestBatchOnDb(db, { store: sqliteStore(db) }, batch)
  } finally {
    closeDb(db)
  }
  return 'collected'
}

describe('fuzzing the dbt collector with mutated real artifacts', () => {
  it('refuses a mutated manifest with a CollectorError or collects a valid batch, never crashes', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (muts) => {
        collectOrRefuse(mutate(MANIFEST, muts, MANIFEST_PATHS), RUN_RESULTS)
      }),
      { numRuns: RUNS },
    )
  })

  it('does the same for mutated run_results next to a good manifest', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (muts) => {
        collectOrRefuse(MANIFEST, mutate(RUN_RESULTS, muts, RESULT_PATHS))
      }),
      { numRuns: RUNS },
    )
  })
})

const OL_TEXT = readFileSync(join(ROOT, 'fixtures/openlineage/dbt-ol/sales.ndjson'), 'utf8')
const OL_EVENTS = OL_TEXT.split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as unknown)
const OL_PATHS = OL_EVENTS.map((e) => pathsOf(e))

describe('fuzzing the OpenLineage collector with mutated real dbt-ol events', () => {
  it('names the path of a bad event or yields a batch ingest accepts, never throws', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 5 }), (pick, muts) => {
        const i = pick % OL_EVENTS.length
        const r = parseEvent(mutate(OL_EVENTS[i], muts, OL_PATHS[i]))
        if (!r.ok) {
          expect(r.path).toMatch(/^\$/)
          return
        }
        const check = BatchSchema.safeParse(r.batch)
        expect(
          check.success,
          check.success ? '' : JSON.stringify(check.error.issues.slice(0, 3)),
        ).toBe(true)
      }),
      { numRuns: RUNS * 2 },
    )
  })
})
