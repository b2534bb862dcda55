import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { namespaceAndName } from '../../../collectors/contracts/naming.ts'
import { ServerSchema } from '../../../collectors/contracts/schema.ts'
import { serverOf } from '../../../server/standards/servers.ts'
import { logicalTypeOf } from '../../../server/standards/types.ts'

// The server meshwatch writes for a dataset binds back to that dataset: serverOf is the inverse of
// the contract binder's naming, for every dataset the recorded OpenLineage fixtures name.

const FIXTURES = new URL('../../../fixtures/openlineage/', import.meta.url).pathname

function recordedDatasets(): { namespace: string; name: string }[] {
  const out = new Map<string, { namespace: string; name: string }>()
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.(json|ndjson|jsonl)$/.test(f)) {
        const text = readFileSync(p, 'utf8')
        for (const m of text.matchAll(/"namespace":\s*"([^"]+)",\s*"name":\s*"([^"]+)"/g))
          out.set(`${m[1]}|${m[2]}`, { namespace: m[1] ?? '', name: m[2] ?? '' })
      }
    }
  }
  walk(FIXTURES)
  return [...out.values()]
}

describe('serverOf', () => {
  const datasets = recordedDatasets()

  it('gives back each recorded dataset through the contract binder (database-like namespaces)', () => {
    const mapped = datasets.filter((d) =>
      /^(duckdb|postgres|postgresql|snowflake):\/\//.test(d.namespace),
    )
    expect(mapped.length).toBeGreaterThan(20)
    const kinds = new Set(mapped.map((d) => d.namespace.split(':')[0]))
    expect([...kinds].sort()).toEqual(['duckdb', 'postgres', 'postgresql', 'snowflake'])
    for (const d of mapped) {
      const { server, physicalName } = serverOf(d.namespace, d.name, 'observed')
      const typed = ServerSchema.parse(server)
      const back = namespaceAndName(typed, physicalName)
      expect(back, `${d.namespace} ${d.name}`).toEqual({
        namespace: d.namespace.replace(/^postgresql:/, 'postgres:'),
        name: d.name,
      })
    }
  })

  it('keeps a namespace no server type maps as a custom server, bound by name', () => {
    const d = datasets.find((x) => x.namespace.startsWith('airflow://'))
    expect(d).toBeDefined()
    const { server, physicalName } = serverOf(d!.namespace, d!.name, 'observed')
    expect(server).toEqual({ server: 'observed', type: 'custom', location: d!.namespace })
    expect(physicalName).toBe(d!.name)
    expect(namespaceAndName(ServerSchema.parse(server), physicalName)).toBeNull()
  })
})

describe('logicalTypeOf', () => {
  it('maps the column types the demo warehouse reports to ODCS logical types', () => {
    expect(
      [
        'INTEGER',
        'BIGINT',
        'DECIMAL(12,2)',
        'DOUBLE',
        'VARCHAR',
        'BOOLEAN',
        'DATE',
        'TIMESTAMP',
        'TIMESTAMP WITH TIME ZONE',
        'INTEGER[]',
        'STRUCT(a INTEGER)',
        'JSON',
      ].map(logicalTypeOf),
    ).toEqual([
      'integer',
      'integer',
      'number',
      'number',
      'string',
      'boolean',
      'date',
      'timestamp',
      'timestamp',
      'array',
      'object',
      'object',
    ])
    expect(logicalTypeOf('GEOMETRY')).toBeUndefined()
  })
})
