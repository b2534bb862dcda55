import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Issue 15 part 1, "one shape per thing": each shape the evaluators read or store is declared in
// one module (db/ for what it returns or stores, common/ for the vocabularies), and the others
// import it. web/ is not scanned: it gets the API's shapes through hc<AppType>.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const LAYERS = ['server', 'db', 'collectors', 'common']

const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'migrations' ? [] : sources(path)
    return e.name.endsWith('.ts') ? [path] : []
  })

const FILES = LAYERS.flatMap(sources).map((f) => ({ f, text: readFileSync(join(ROOT, f), 'utf8') }))

/** Where each shape is declared, and by which module. */
const OWNER: Record<string, string> = {
  ProductFacts: 'db/queries/quality-facts.ts',
  OutputFacts: 'db/queries/quality-facts.ts',
  UpstreamFacts: 'db/queries/quality-facts.ts',
  RunFact: 'db/queries/quality-facts.ts',
  AssertionFact: 'db/queries/quality-facts.ts',
  MetricFact: 'db/queries/quality-facts.ts',
  JobFact: 'db/queries/quality-facts.ts',
  DatasetFact: 'db/queries/quality-facts.ts',
  RcNode: 'db/queries/quality-facts.ts',
  RcEdge: 'db/queries/quality-facts.ts',
  GovProduct: 'db/queries/quality-facts.ts',
  GovDataset: 'db/queries/quality-facts.ts',
  GovJob: 'db/queries/quality-facts.ts',
  GovernanceFacts: 'db/queries/quality-facts.ts',
  ScheduleFact: 'db/json-shapes.ts',
  DimensionResult: 'db/json-shapes.ts',
  ProductEvaluation: 'db/json-shapes.ts',
  ChainNode: 'db/json-shapes.ts',
  RootCause: 'db/json-shapes.ts',
  AlertFacts: 'db/json-shapes.ts',
  AlertRootCause: 'db/json-shapes.ts',
  AlertChainNode: 'db/json-shapes.ts',
  Status: 'common/vocab.ts',
  KnownStatus: 'common/vocab.ts',
  STATUSES: 'common/vocab.ts',
  Dimension: 'common/vocab.ts',
  DIMENSIONS: 'common/vocab.ts',
  Link: 'common/vocab.ts',
  LINKS: 'common/vocab.ts',
  AlertKind: 'common/vocab.ts',
  ALERT_KINDS: 'common/vocab.ts',
  AlertSeverity: 'common/vocab.ts',
  ALERT_STATUSES: 'common/vocab.ts',
}

const declaredIn = (name: string): string[] =>
  FILES.filter(({ text }) =>
    new RegExp(`^export (interface|type|const) ${name}\\b`, 'm').test(text),
  ).map(({ f }) => relative('.', f))

describe('one shape per thing (issue 15 part 1)', () => {
  it.each(Object.entries(OWNER))('%s is declared once, in %s', (name, owner) => {
    expect(declaredIn(name)).toEqual([owner])
  })

  it('no `as unknown as` cast is left in server/, db/, collectors/ or common/', () => {
    // Known exception: a drizzle transaction passed where the Db type is expected (a write path).
    const known = new Map([['db/queries/quality-store.ts', 2]])
    const found = FILES.flatMap(({ f, text }) => {
      const n = text.match(/\bas unknown as\b/g)?.length ?? 0
      return n > (known.get(f) ?? 0) ? [`${f}: ${n}`] : []
    })
    expect(found).toEqual([])
  })
})
