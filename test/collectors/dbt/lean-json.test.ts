import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readNode } from '../../../collectors/dbt/graph.ts'
import { parseManifestLean, readManifestLean } from '../../../collectors/dbt/lean-json.ts'
import { mapDbtArtifacts } from '../../../collectors/dbt/map.ts'
import { REPO, SHARED_DBT, sharedFiles } from './helpers.ts'

// The lean read skips what the collector does not read; the batch must be the one JSON.parse gives.

const walk = (d: string): string[] =>
  readdirSync(d).flatMap((f) => {
    const p = join(d, f)
    return statSync(p).isDirectory() ? walk(p) : f === 'manifest.json' ? [p] : []
  })
const files = [
  ...walk(join(REPO, 'fixtures')),
  ...sharedFiles('')
    .filter((f) => /manifest.*\.json$/.test(f))
    .map((f) => join(SHARED_DBT, f)),
].filter((f) => {
  const m = JSON.parse(readFileSync(f, 'utf8')) as { metadata?: { dbt_schema_version?: string } }
  return /manifest\/v(7|8|9|1[0-2]|20)\.json$/.test(m.metadata?.dbt_schema_version ?? '')
})

type Node = Record<string, unknown>
const nodesOf = (m: unknown): Node[] => Object.values((m as { nodes: Record<string, Node> }).nodes)
const SQL = ['compiled_code', 'compiled_sql', 'raw_code', 'raw_sql']
const opts = { namespace: 'duckdb://x', columnLineage: false }

describe('parseManifestLean', () => {
  it.each(files.map((f) => [f.replace(/.*\/(fixtures|real)\//, '$1/'), f]))(
    '%s: the same batch as JSON.parse, with and without the SQL',
    (_name, full) => {
      const buf = readFileSync(full)
      const batchOf = (manifest: unknown) =>
        mapDbtArtifacts({ manifest, files: { manifest: full } }, opts, undefined)
      const expected = batchOf(JSON.parse(buf.toString('utf8')))
      const withSql = parseManifestLean(buf)
      const noSql = parseManifestLean(buf, { sql: false })
      expect(batchOf(withSql)).toEqual(expected)
      expect(batchOf(noSql)).toEqual(expected)
      // nodes parsed as they are read (readDbtTarget): the same batch, warnings and all
      expect(batchOf(parseManifestLean(buf, { sql: false, entry: readNode }))).toEqual(expected)
      // and their columns taken apart, as readDbtTarget reads them
      const flat = { entry: readNode, flatColumns: true }
      expect(batchOf(parseManifestLean(buf, flat))).toEqual(expected)
      expect(batchOf(readManifestLean(full, { ...flat, sql: false, chunkBytes: 97 }))).toEqual(
        expected,
      )
      // read a window at a time: windows of 97 bytes end inside every kind of token
      expect(readManifestLean(full, { chunkBytes: 97 })).toEqual(withSql)
      expect(readManifestLean(full, { chunkBytes: 4096, sql: false })).toEqual(noSql)
      for (const n of nodesOf(noSql)) for (const f of SQL) expect(n).not.toHaveProperty(f)
      // models keep their SQL for column lineage; tests never do
      const whole = nodesOf(JSON.parse(buf.toString('utf8')))
      const lean = nodesOf(withSql)
      whole.forEach((n, i) => {
        const keeps = n['resource_type'] === 'model' || n['resource_type'] === 'snapshot'
        for (const f of SQL) expect(lean[i]?.[f]).toEqual(keeps ? n[f] : undefined)
      })
    },
  )

  const header =
    '"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}'
  it('reads a key written with escapes and, of a repeated key, the last, as JSON.parse does', () => {
    const text = `{${header}, "nodes": {"model.p.a": {"unique_\\u0069d": "model.p.a",
      "resource_type": "test", "name": "x", "docs": {"show": true}, "name" : "a",
      "compiled_code": "select 1", "resource_type": "model", "checksum": {"name": "sha256"}}}}`
    const m = parseManifestLean(Buffer.from(text)) as { nodes: Record<string, Node> }
    expect(m.nodes['model.p.a']).toEqual({
      unique_id: 'model.p.a',
      resource_type: 'model',
      name: 'a',
      compiled_code: 'select 1',
    })
    const noSql = parseManifestLean(Buffer.from(text), { sql: false }) as typeof m
    expect(noSql.nodes['model.p.a']).not.toHaveProperty('compiled_code')
  })

  it("drops a test's SQL wherever it stands among the members, first, last or in a row", () => {
    const text = `{${header}, "nodes": {
      "test.p.a": {"compiled_code": "select 1", "raw_code": "x", "unique_id": "test.p.a",
        "raw_sql": "y", "resource_type": "test", "name": "a", "compiled_sql": "z"},
      "test.p.b": {"raw_code": "x", "compiled_code": "select 1", "resource_type": "test"},
      "model.p.c": {"raw_code": "x", "name": "c", "resource_type": "model", "compiled_code": "s"}}}`
    const m = parseManifestLean(Buffer.from(text)) as { nodes: Record<string, Node> }
    expect(m.nodes).toEqual({
      'test.p.a': { unique_id: 'test.p.a', resource_type: 'test', name: 'a' },
      'test.p.b': { resource_type: 'test' },
      'model.p.c': { raw_code: 'x', name: 'c', resource_type: 'model', compiled_code: 's' },
    })
  })

  it('keeps a column named __proto__ as a column, not a prototype', () => {
    const text = `{${header}, "nodes": {"model.p.a": {"unique_id": "model.p.a",
      "resource_type": "model", "columns": {"__proto__": {"name": "__proto__", "meta": {}},
      "constructor": {"name": "constructor", "data_type": "int"}}}}}`
    const m = parseManifestLean(Buffer.from(text)) as { nodes: Record<string, Node> }
    const columns = m.nodes['model.p.a']?.['columns'] as Record<string, unknown>
    expect(Object.keys(columns)).toEqual(['__proto__', 'constructor'])
    expect(Object.values(columns)).toEqual([
      { name: '__proto__' },
      { name: 'constructor', data_type: 'int' },
    ])
    expect(Object.getPrototypeOf(columns)).not.toHaveProperty('name')
  })

  it.each([
    ['a missing comma between members', '{"name": "a" "resource_type": "model"}'],
    ['a missing colon', '{"name" "a"}'],
    ['a key that is no string', '{name: "a"}'],
    ['a comma before the closing brace', '{"name": "a",}'],
    ['a comma before the end of the config', '{"name": "a", "config": {"meta": {},}}'],
    ['a comma before the end of the columns', '{"columns": {"id": {"name": "id"},}}'],
  ])('lets JSON.parse refuse %s', (_what, node) => {
    const text = `{${header}, "nodes": {"model.p.a": ${node}}}`
    expect(() => parseManifestLean(Buffer.from(text))).toThrow(SyntaxError)
    const file = join(mkdtempSync(join(tmpdir(), 'meshwatch-lean-')), 'manifest.json')
    writeFileSync(file, text)
    expect(() => readManifestLean(file, { chunkBytes: 16 })).toThrow(SyntaxError)
  })

  it.each([7, 64, 1 << 20])('refuses a manifest cut short, read %d bytes at a time', (chunk) => {
    const text = `{${header}, "nodes": {"model.p.a": {"name": "a", "tags": [1, 2`
    const file = join(mkdtempSync(join(tmpdir(), 'meshwatch-lean-')), 'manifest.json')
    writeFileSync(file, text)
    expect(() => readManifestLean(file, { chunkBytes: chunk })).toThrow(SyntaxError)
    writeFileSync(file, `${text}]}}, "sources": {}}`)
    expect(readManifestLean(file, { chunkBytes: chunk })).toEqual({
      metadata: JSON.parse(`{${header}}`).metadata,
      nodes: { 'model.p.a': { name: 'a', tags: [1, 2] } },
      sources: {},
    })
  })

  // the columns maps flatColumns takes apart, and those it leaves to JSON.parse: the same batch
  it.each([
    ['plain columns', '{"id": {"name": "id", "data_type": "int", "meta": {}}, "b": {"name": "b"}}'],
    ['integer keys, which Object.values puts first', '{"z": {"name": "z"}, "2": {"name": "two"}}'],
    [
      'a key twice (first place, last value)',
      '{"a": {"name": "a1"}, "b": {"name": "b"}, "a": {"name": "a2"}}',
    ],
    ['a member twice', '{"a": {"name": "a", "name": "a2", "description": "x"}}'],
    ['escaped keys', '{"\\u0061": {"n\\u0061me": "a", "data_type": "int"}}'],
    ['keys past ASCII', '{"é": {"name": "é"}, "e": {"name": "e"}}'],
    [
      'constraints and none',
      '{"id": {"name": "id", "constraints": [{"type": "not_null"}, {"x": 1}]}, "b": {"name": "b", "constraints": [ ]}}',
    ],
    [
      'columns that are no object or have no name',
      '{"a": 5, "b": {"description": "d"}, "c": {"name": ""}, "d": {}, "e": {"name": 7}}',
    ],
    [
      'escapes and non-strings in values',
      '{"a": {"name": "a\\"b", "description": "line\\nbreak", "data_type": null}}',
    ],
    ['an empty map', '{}'],
  ])('takes apart or leaves %s as JSON.parse reads them', (_what, columns) => {
    const node = (id: string, extra: string) =>
      `"model.p.${id}": {"unique_id": "model.p.${id}", "resource_type": "model", "package_name": "p",
        "name": "${id}", "schema": "s", "original_file_path": "models/${id}.sql",
        "constraints": [{"type": "primary_key", "columns": ["id", "A"]}], ${extra}}`
    const text = `{${header}, "nodes": {${node('m', `"columns": ${columns}`)},
      ${node('twice', `"columns": ${columns}, "description": "d", "columns": {"only": {"name": "only"}}`)}}}`
    const opts2 = { namespace: 'duckdb://x', columnLineage: false, projectName: 'p' }
    const batchOf = (manifest: unknown) =>
      mapDbtArtifacts({ manifest, files: { manifest: 'manifest.json' } }, opts2, undefined)
    const expected = batchOf(JSON.parse(text))
    expect(expected.datasets.length).toBe(2)
    const buf = Buffer.from(text)
    expect(batchOf(parseManifestLean(buf, { entry: readNode, flatColumns: true }))).toEqual(
      expected,
    )
    const file = join(mkdtempSync(join(tmpdir(), 'meshwatch-lean-')), 'manifest.json')
    writeFileSync(file, text)
    for (const chunkBytes of [7, 64]) {
      const read = readManifestLean(file, { entry: readNode, flatColumns: true, chunkBytes })
      expect(batchOf(read)).toEqual(expected)
    }
  })
})
