import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2019 } from 'ajv/dist/2019.js'
import addFormats from 'ajv-formats'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { closeDb, openDb } from '../../../db/client.ts'
import { registerExport } from '../../../server/commands/export.ts'
import { FIXTURES, loadDemo } from '../../../server/demo.ts'
import { sqliteStore } from '../../../db/store.ts'

// `meshwatch export --format odps|odcs [-o DIR]` on a store holding the demo mesh, in this process:
// one file per product, each valid against the official schema; a bad --format names the accepted ones.

const SCHEMAS = new URL('../../../collectors/contracts/schemas/', import.meta.url)
const compile = (file: string) => {
  const ajv = new Ajv2019({ allErrors: true, strict: false })
  addFormats.default(ajv)
  return ajv.compile(JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')) as object)
}
const validOdps = compile('odps-json-schema-v1.0.0.json')
const validOdcs = compile('odcs-json-schema-v3.1.0.json')

let dir: string
let dbFile: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshwatch-export-'))
  dbFile = join(dir, 'demo.db')
  const db = openDb(dbFile)
  await loadDemo({ store: sqliteStore(db) }, { airflow: false })
  closeDb(db)
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function runExport(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command('meshwatch').exitOverride()
  registerExport(program)
  const out: string[] = []
  const err: string[] = []
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0)
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0)
  try {
    await program.parseAsync(['export', '--db', dbFile, ...args], { from: 'user' })
  } finally {
    o.mockRestore()
    e.mockRestore()
  }
  return { stdout: out.join(''), stderr: err.join('') }
}

describe('meshwatch export --format odps|odcs', () => {
  it('writes one valid ODPS v1.0.0 descriptor per product into -o DIR', async () => {
    const out = join(dir, 'odps')
    const { stderr } = await runExport(['--format', 'odps', '-o', out])
    const files = readdirSync(out).sort()
    expect(files).toContain('sales.orders.odps.yaml')
    expect(files.length).toBeGreaterThan(5)
    expect(stderr).toBe(`wrote ${files.length} ODPS files to ${out}\n`)
    for (const f of files) {
      const doc = parse(readFileSync(join(out, f), 'utf8')) as Record<string, unknown>
      expect(validOdps(doc), `${f}: ${JSON.stringify(validOdps.errors)}`).toBe(true)
      expect(`${String(doc.id)}.odps.yaml`).toBe(f)
    }
  })

  it('writes each product’s ODCS v3.1.0 contract, generated with meshwatch.yml’s SLAs', async () => {
    const out = join(dir, 'odcs')
    await runExport(['--format', 'odcs', '-o', out, '--config', join(FIXTURES, 'meshwatch.yml')])
    const files = readdirSync(out).sort()
    expect(files.length).toBeGreaterThan(5)
    for (const f of files) {
      const doc = parse(readFileSync(join(out, f), 'utf8')) as Record<string, unknown>
      expect(validOdcs(doc), `${f}: ${JSON.stringify(validOdcs.errors)}`).toBe(true)
    }
    const orders = parse(readFileSync(join(out, 'sales.orders.odcs.yaml'), 'utf8')) as Record<
      string,
      any
    >
    // meshwatch.yml defaults.sla.reliability.min_success_rate 0.95 → at most 5 % failed runs
    expect(orders.slaProperties).toContainEqual(
      expect.objectContaining({ property: 'errorRate', value: 5, unit: 'percent' }),
    )
    expect(orders.customProperties).toContainEqual({
      property: 'meshwatchSla',
      value: expect.objectContaining({ tests: { min_pass_rate: 1 } }),
    })
  })

  it('without -o, writes a YAML stream of every descriptor to stdout', async () => {
    const { stdout } = await runExport(['--format', 'odps'])
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, unknown>)
    expect(docs.map((d) => d.id)).toContain('finance.revenue')
    expect(docs.every((d) => validOdps(d))).toBe(true)
  })

  it('keeps OpenLineage NDJSON as the default format', async () => {
    const { stdout } = await runExport([])
    const first = JSON.parse(stdout.split('\n')[0] ?? '') as Record<string, unknown>
    expect(first.schemaURL).toMatch(/#\/\$defs\/DatasetEvent$/)
  })

  it('refuses an unknown --format naming the accepted values, and writes nothing', async () => {
    const out = join(dir, 'bad')
    await expect(runExport(['--format', 'odcx', '-o', out])).rejects.toThrow(
      "export: unknown --format 'odcx'; use one of openlineage, odps, odcs (default openlineage)",
    )
    expect(() => readdirSync(out)).toThrow(/ENOENT/)
  })
})
