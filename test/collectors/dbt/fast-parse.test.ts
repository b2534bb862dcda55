import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { compileFastParse, NOT_SURE, safeParseFast } from '../../../collectors/dbt/fast-parse.ts'
import {
  DbtExposureSchema,
  DbtGroupSchema,
  DbtNodeSchema,
  DbtTestSchema,
  ManifestSchema,
} from '../../../collectors/dbt/schema.ts'
import { REPO, readShared, sharedFiles } from './helpers.ts'
import { syntheticManifest } from './synthetic.ts'

// The first pass must return exactly what zod returns (same keys, same order, same values), or
// NOT_SURE: then zod parses the node and its issue names the field, as before.

const walk = (d: string): string[] =>
  readdirSync(d).flatMap((f) => {
    const p = join(d, f)
    return statSync(p).isDirectory() ? walk(p) : f === 'manifest.json' ? [p] : []
  })

type Items = Record<string, unknown>
const itemsOf = (m: unknown): unknown[] => {
  const x = m as { nodes?: Items; sources?: Items; functions?: Items }
  return [x.nodes, x.sources, x.functions].flatMap((i) => Object.values(i ?? {}))
}

const manifests: [string, unknown][] = [
  ...walk(join(REPO, 'fixtures')).map((f): [string, unknown] => [
    f.slice(REPO.length),
    JSON.parse(readFileSync(f, 'utf8')),
  ]),
  ...sharedFiles('').flatMap((f): [string, unknown][] =>
    f.includes('manifest') ? [[f, readShared(f)]] : [],
  ),
  ['synthetic', syntheticManifest(20)],
]

/** Same as zod: NOT_SURE, or zod's success with an equal value whose keys come in the same order. */
function expectAgrees(schema: z.ZodType, input: unknown): boolean {
  const fast = compileFastParse(schema)
  expect(fast).toBeDefined()
  const got = fast!(input)
  if (got === NOT_SURE) return false
  const parsed = schema.safeParse(input)
  expect(parsed.success).toBe(true)
  expect(got).toStrictEqual(parsed.data)
  expect(JSON.stringify(got)).toBe(JSON.stringify(parsed.data))
  return true
}

describe('compileFastParse', () => {
  it.each(manifests.map(([name, m]) => [name, m] as const))(
    'agrees with zod on every node of %s',
    (_name, manifest) => {
      let sure = 0
      const items = itemsOf(manifest)
      for (const item of items) {
        if (expectAgrees(DbtNodeSchema, item)) sure++
        expectAgrees(DbtTestSchema, item)
      }
      // the pass is what reads real nodes: zod is left the bad ones
      expect(sure).toBe(items.filter((i) => DbtNodeSchema.safeParse(i).success).length)
      const m = manifest as { exposures?: Items; groups?: Items }
      for (const e of Object.values(m.exposures ?? {})) expectAgrees(DbtExposureSchema, e)
      for (const g of Object.values(m.groups ?? {})) expectAgrees(DbtGroupSchema, g)
      expectAgrees(ManifestSchema, manifest)
    },
  )

  const good = {
    unique_id: 'model.p.a',
    resource_type: 'model',
    package_name: 'p',
    name: 'a',
    tags: ['x'],
    meta: { owner: 'o' },
    config: { meta: {}, enabled: true, contract: { enforced: false }, freshness: { x: 1 } },
    depends_on: { nodes: ['model.p.b'], macros: [] },
    version: 2,
    constraints: [{ type: 'primary_key', columns: ['id'] }],
    test_metadata: { name: 'unique', kwargs: { column_name: 'id' } },
    columns: { id: { name: 'id' } },
    checksum: { name: 'sha256', checksum: 'abc' },
  }
  const bad: [string, unknown][] = [
    ['a missing required field', { ...good, unique_id: undefined }],
    ['an empty identity', { ...good, name: '' }],
    ['a name past 4096 characters', { ...good, name: 'n'.repeat(4097) }],
    ['a relation part past 1024', { ...good, alias: 'a'.repeat(1025) }],
    ['a number where text goes', { ...good, description: 3 }],
    ['an infinite version', { ...good, version: Infinity }],
    ['a boolean version', { ...good, version: true }],
    ['a tag that is no string', { ...good, tags: ['x', 1] }],
    ['meta as a list', { ...good, meta: ['o'] }],
    ['config as text', { ...good, config: 'x' }],
    ['enabled as text', { ...good, config: { enabled: 'yes' } }],
    ['depends_on.nodes of numbers', { ...good, depends_on: { nodes: [1] } }],
    ['a constraint without type', { ...good, constraints: [{ columns: ['id'] }] }],
    ['kwargs as a list', { ...good, test_metadata: { name: 'x', kwargs: [] } }],
    ['a list for the node', [good]],
    ['null for the node', null],
  ]
  it.each(bad)('leaves %s to zod', (_what, input) => {
    expect(compileFastParse(DbtNodeSchema)!(input)).toBe(NOT_SURE)
    expect(DbtNodeSchema.safeParse(input).success).toBe(false)
  })

  it('copies like zod: nulls kept, unknown keys and __proto__ dropped, absent keys absent', () => {
    expect(expectAgrees(DbtNodeSchema, good)).toBe(true)
    expect(expectAgrees(DbtTestSchema, good)).toBe(true)
    const withNulls = { ...good, alias: null, meta: null, config: { group: null } }
    expect(expectAgrees(DbtNodeSchema, withNulls)).toBe(true)
    const proto = JSON.parse('{"__proto__": {"x": 1}, "owner": "o"}') as unknown
    expect(expectAgrees(DbtNodeSchema, { ...good, meta: proto })).toBe(true)
    const out = compileFastParse(DbtNodeSchema)!(good) as Record<string, unknown>
    expect(Object.hasOwn(out, 'checksum')).toBe(false)
    expect(Object.hasOwn(out, 'alias')).toBe(false)
    expect(out['tags']).not.toBe(good.tags)
  })

  it('safeParseFast gives the issues of zod for what the pass is not sure of', () => {
    const input = { ...good, name: '' }
    const fast = safeParseFast(DbtNodeSchema, input)
    const zod = DbtNodeSchema.safeParse(input)
    expect(fast.success).toBe(false)
    expect(fast.error?.issues).toEqual(zod.error?.issues)
    expect(safeParseFast(DbtNodeSchema, good)).toEqual(DbtNodeSchema.safeParse(good))
  })

  it('compiles no schema it does not know, so zod reads every input', () => {
    expect(compileFastParse(z.string().email())).toBeUndefined()
    expect(compileFastParse(z.object({ a: z.string().default('x') }))).toBeUndefined()
    expect(compileFastParse(z.object({ a: z.string() }).catchall(z.number()))).toBeUndefined()
  })
})
