import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseDocument, stringify } from 'yaml'
import { describe, expect, it } from 'vitest'
import {
  ContractError,
  parseContractText,
  readContracts,
} from '../../../collectors/contracts/read.ts'

const FIXTURES = fileURLToPath(new URL('../../../fixtures/contracts', import.meta.url))
const fixture = (f: string) => readFileSync(join(FIXTURES, f), 'utf8')
const SLA = 'bitol/sla_database-table-sla.odcs.yaml'

function issuesOf(text: string, file = 'c.odcs.yaml') {
  try {
    parseContractText(text, file)
  } catch (e) {
    if (e instanceof ContractError) return e.issues
    throw e
  }
  throw new Error('expected the contract to be refused')
}

/** The fixture with one field changed, re-serialized as YAML. */
function mutated(f: string, edit: (doc: Record<string, unknown>) => void): string {
  const doc = parseDocument(fixture(f)).toJS() as Record<string, unknown>
  edit(doc)
  return stringify(doc)
}

describe('reading ODCS contracts', () => {
  it.each([
    ['bitol/all_full-example.odcs.yaml', 'v3.1.0'],
    ['bitol/all_postgresql-adventureworks-contract.odcs.yaml', 'v3.0.0'],
    ['bitol/sla_database-table-sla.odcs.yaml', 'v3.1.0'],
    ['bitol/schema_kafka-schema.odcs.yaml', 'v3.0.2'],
    ['demo/sales-orders.odcs.yaml', 'v3.1.0'],
    ['demo/finance-revenue.odcs.yaml', 'v3.1.0'],
  ])('accepts the valid contract %s (%s)', (f, api) => {
    const d = parseContractText(fixture(f), f)
    expect(d.contract.apiVersion).toBe(api)
    expect(d.contentHash).toMatch(/^[0-9a-f]{64}$/)
  })

  it.each([
    [
      'bitol/stakeholders_basic-four-dpo.odcs.yaml',
      { line: 10, path: 'team', message: 'must be array (ODCS v3.0.2 schema)' },
    ],
    [
      'bitol/quality_column-completeness.odcs.yaml',
      {
        line: 23,
        path: 'schema[0].properties[0].quality[0]',
        message: "missing required field 'rule' (ODCS v3.0.2 schema)",
      },
    ],
  ])('refuses %s, invalid against its own apiVersion, naming line and field', (f, want) => {
    const issues = issuesOf(fixture(f), f)
    expect(issues).toEqual([expect.objectContaining({ file: f, ...want })])
  })

  it.each(['v2.2.2', 'v3.2.0', 'v4'])('refuses apiVersion %s naming the supported range', (v) => {
    const [issue] = issuesOf(fixture(SLA).replace('apiVersion: v3.1.0', `apiVersion: ${v}`))
    expect(issue).toMatchObject({ line: 2, path: 'apiVersion' })
    expect(issue?.message).toBe(
      `apiVersion '${v}' is not supported: meshwatch reads ODCS v3.0.0–v3.0.2 and v3.1.0 (v3.0.0, v3.0.1, v3.0.2, v3.1.0)`,
    )
  })

  it('names the line of a field with the wrong type deep in the document', () => {
    const text = mutated(SLA, (d) => {
      ;(d.slaProperties as Record<string, unknown>[])[2]!.unit = 3
    })
    const issues = issuesOf(text)
    const line = text.split('\n').findIndex((l) => l.includes('unit: 3')) + 1
    expect(issues).toEqual([
      expect.objectContaining({
        line,
        path: 'slaProperties[2].unit',
        message: 'must be string (ODCS v3.1.0 schema)',
      }),
    ])
  })

  it('names a missing required field and an unknown top-level one', () => {
    const text = mutated(SLA, (d) => {
      delete d.status
      d.owner = 'x'
    })
    const messages = issuesOf(text).map((i) => `${i.path}: ${i.message}`)
    expect(messages).toContain("$: missing required field 'status' (ODCS v3.1.0 schema)")
  })

  it('refuses YAML that does not parse, with its line', () => {
    const text = fixture(SLA).replace('  - property: retention', '  - property: [retention')
    const [issue] = issuesOf(text)
    expect(issue?.line).toBeGreaterThan(20)
    expect(issue?.path).toBe('$')
  })

  it('hashes the same contract in YAML and in JSON alike', () => {
    const yaml = parseContractText(fixture(SLA), 'a.odcs.yaml')
    const json = parseContractText(JSON.stringify(yaml.document, null, 2), 'a.odcs.json')
    expect(json.contentHash).toBe(yaml.contentHash)
    const changed = parseContractText(fixture(SLA).replace('value: 4', 'value: 5'), 'a.odcs.yaml')
    expect(changed.contentHash).not.toBe(yaml.contentHash)
  })

  it('reads YAML aliases as their anchored value, and refuses a repeated key with its line', () => {
    const aliased = [
      'apiVersion: v3.1.0',
      'kind: DataContract',
      'id: &id urn:x',
      'version: 1.0.0',
      'status: active',
      'name: *id',
    ].join('\n')
    expect(parseContractText(aliased, 'b.odcs.yaml').contract.name).toBe('urn:x')
    const lines = fixture(SLA).trimEnd().split('\n').length
    const [issue] = issuesOf(`${fixture(SLA).trimEnd()}\nkind: DataContract\n`)
    expect(issue).toMatchObject({ line: lines + 1, message: expect.stringMatching(/unique/) })
  })

  it('reads a directory of *.odcs.yaml, and refuses all of it when one file is invalid', () => {
    expect(readContracts([join(FIXTURES, 'demo')]).map((d) => d.contract.id)).toEqual([
      'urn:meshwatch-demo:finance:revenue',
      'urn:meshwatch-demo:sales:orders',
    ])
    expect(() => readContracts([join(FIXTURES, 'bitol')])).toThrow(
      /stakeholders_basic-four-dpo.odcs.yaml:10:3: team: must be array/,
    )
  })
})

// Issue 17 (c): every official example is accepted, or refused with a precise reason where the
// example is invalid against the schema of the apiVersion it declares.
const SHARED =
  process.env.MESHWATCH_SHARED ?? fileURLToPath(new URL('../../../../shared', import.meta.url))
const EXAMPLES = join(SHARED, 'real/standards/odcs/examples')
const INVALID: Record<string, RegExp> = {
  'data-types_all-data-types.odcs.yaml':
    /:25:29: schema\[0\]\.properties\[1\]\.logicalTypeOptions\.exclusiveMinimum: must be boolean \(ODCS v3\.0\.2 schema\)/,
  'quality_column-completeness.odcs.yaml': /:23:9: .*missing required field 'rule'/,
  'stakeholders_basic-four-dpo.odcs.yaml': /:10:3: team: must be array/,
}

describe.skipIf(!existsSync(EXAMPLES))(
  'the official ODCS examples (../shared/real/standards)',
  () => {
    const files = existsSync(EXAMPLES) ? readdirSync(EXAMPLES).sort() : []
    it.each(files)('%s', (f) => {
      const text = readFileSync(join(EXAMPLES, f), 'utf8')
      const want = INVALID[f]
      if (want) expect(() => parseContractText(text, f)).toThrow(want)
      else expect(parseContractText(text, f).contract.kind).toBe('DataContract')
    })
  },
)
