// Contracts bench: collecting 1,000 ODCS contracts against the quality bench's 100k-node graph and
// scoring them must add < 1 s to an evaluation of its 10k products (the same store, the same run:
// evaluated without contracts, then the contracts collected, then evaluated with them).
// Alone: `npx tsx test/bench/contracts.ts`; in `npm run bench` through benchContracts().
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { parseContractText } from '../../collectors/contracts/read.ts'
import { closeDb, openDb } from '../../db/client.ts'
import { ingestContracts } from '../../server/contracts/ingest.ts'
import { scoreProductsOnDb } from '../../server/evaluate.ts'
import { seed } from './quality.ts'
import type { BenchRow } from './run.ts'
import { sqliteStore } from '../../db/store.ts'

const CONTRACTS = 1_000
const DATASETS = 50_000
const PRODUCTS = 10_000
const GOAL_MS = 1_000
const NOW = new Date('2026-11-25T12:00:00Z')

/** Contract k covers product output dataset i (the quality bench's `db.s{i%50}.t{i}` on postgres://bench:5432). */
function contractText(k: number): string {
  const i = DATASETS - PRODUCTS + k * (PRODUCTS / CONTRACTS)
  return stringify({
    apiVersion: 'v3.1.0',
    kind: 'DataContract',
    id: `urn:bench:${i}`,
    version: '1.0.0',
    status: 'active',
    domain: `d${i % 20}`,
    servers: [
      {
        server: 'bench',
        type: 'postgres',
        host: 'bench',
        port: 5432,
        database: 'db',
        schema: `s${i % 50}`,
      },
    ],
    schema: [
      {
        name: `t${i}`,
        physicalName: `t${i}`,
        properties: [
          {
            name: 'id',
            logicalType: 'integer',
            physicalType: 'int',
            required: true,
            quality: [{ type: 'library', metric: 'nullValues', mustBe: 0 }],
          },
          { name: 'v', logicalType: 'string', physicalType: 'text' },
        ],
      },
    ],
    slaProperties: [
      { property: 'latency', value: 1, unit: 'd' },
      { property: 'errorRate', value: 5, unit: 'percent' },
    ],
  })
}

const cpuMs = (f: () => void): number => {
  const c0 = process.cpuUsage()
  f()
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

export async function benchContracts(): Promise<BenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'mw-bench-contracts-'))
  const db = openDb(join(tmp, 'c.db'))
  try {
    seed(db)
    const deps = { store: sqliteStore(db), now: () => NOW }
    scoreProductsOnDb(db, deps) // warm-up
    const without = median([0, 1, 2].map(() => cpuMs(() => scoreProductsOnDb(db, deps))))
    const texts = Array.from({ length: CONTRACTS }, (_, k) => contractText(k))
    const docs = texts.map((t, k) => parseContractText(t, `bench-${k}.odcs.yaml`))
    const c0 = process.cpuUsage()
    await ingestContracts(deps, docs)
    const c1 = process.cpuUsage(c0)
    const collectMs = (c1.user + c1.system) / 1000
    scoreProductsOnDb(db, deps) // warm-up with contracts
    const withMs = median([0, 1, 2].map(() => cpuMs(() => scoreProductsOnDb(db, deps))))
    const added = collectMs + withMs - without
    return [
      {
        name: `contracts: collect ${CONTRACTS} + evaluate ${PRODUCTS} products, added to the evaluation`,
        value: Math.round(added),
        unit: 'ms',
        goal: `< ${GOAL_MS} ms`,
        ok: added < GOAL_MS,
        detail: `evaluation ${Math.round(without)} ms without contracts, ${Math.round(withMs)} ms with; collect ${Math.round(collectMs)} ms (CPU, medians of 3)`,
      },
    ]
  } finally {
    closeDb(db)
    rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const r of await benchContracts())
    console.log(`${r.name}: ${r.value} ${r.unit} (${r.goal}) ${r.detail ?? ''}`)
}
