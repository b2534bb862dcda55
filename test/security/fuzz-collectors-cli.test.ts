import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../db/client.ts'
import { rowCounts } from './helpers.ts'
import { mutate, mutation, pathsOf } from './mutate.ts'

// The collectors fuzzed through the built CLI as a child process (`npm run test:cli`); the
// in-process fuzzing of the same collectors is fuzz-collectors.test.ts.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(ROOT, 'dist/cli.js')
const TARGET = join(ROOT, 'fixtures/dbt/good/sales/target')
const MANIFEST = JSON.parse(readFileSync(join(TARGET, 'manifest.json'), 'utf8')) as unknown
const MANIFEST_PATHS = pathsOf(MANIFEST)
const OL_TEXT = readFileSync(join(ROOT, 'fixtures/openlineage/dbt-ol/sales.ndjson'), 'utf8')
const NS = 'duckdb://fuzz'

const run = promisify(execFile)
const work = mkdtempSync(join(tmpdir(), 'mw-fuzz-cli-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('fuzzing `meshwatch collect` as a child process', () => {
  it('exits 0 or 2 with a message, never an unexpected error, and writes nothing when it refuses', async () => {
    const cases = fc.sample(fc.array(mutation, { minLength: 1, maxLength: 5 }), {
      numRuns: 4,
      seed: 42,
    })
    const texts = [
      ...cases.map((m) => JSON.stringify(mutate(MANIFEST, m, MANIFEST_PATHS))),
      JSON.stringify(MANIFEST).slice(0, 5000), // truncated
      JSON.stringify({
        ...(MANIFEST as object),
        metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v99.json' },
      }),
    ]
    await Promise.all(
      texts.map(async (text, i) => {
        const dir = join(work, `c${i}`, 'target')
        mkdirSync(dir, { recursive: true })
        writeFileSync(join(dir, 'manifest.json'), text)
        const db = join(work, `c${i}.db`)
        const r = await run('node', [CLI, 'collect', 'dbt', dir, '--namespace', NS, '--db', db], {
          cwd: ROOT,
          env: { ...process.env, LOG_LEVEL: 'warn' },
        }).then(
          (ok) => ({ code: 0, stderr: ok.stderr }),
          (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
        )
        expect([0, 2], r.stderr).toContain(r.code)
        expect(r.stderr).not.toContain('unexpected error')
        expect(r.stderr).not.toMatch(/\n\s+at /)
        if (r.code === 2) {
          expect(r.stderr).toMatch(/^meshwatch: .*manifest/m)
          if (existsSync(db)) {
            const d = openDb(db)
            expect(Object.values(rowCounts(d)).every((n) => n === 0)).toBe(true)
            closeDb(d)
          }
        }
      }),
    )
  }, 60_000)
})

describe('fuzzing `meshwatch collect openlineage` as a child process', () => {
  it('stores the good lines of mutated NDJSON, refuses garbage with exit 2, never an unexpected error', async () => {
    const lines = OL_TEXT.split('\n').filter((l) => l.trim() !== '')
    const cases = [
      // A line cut in half and a line of garbage among good events: skipped with a warning.
      [lines[0], lines[1]?.slice(0, 200), 'not json at all', lines[2]].join('\n'),
      // Events mutated into invalid ones.
      ...fc
        .sample(fc.array(mutation, { minLength: 1, maxLength: 4 }), { numRuns: 2, seed: 7 })
        .map((m) =>
          lines
            .map((l, i) => (i % 3 === 0 ? JSON.stringify(mutate(JSON.parse(l), m)) : l))
            .join('\n'),
        ),
      // Nothing but garbage.
      '{"eventType": \n[[[\n\u0000',
    ]
    await Promise.all(
      cases.map(async (text, i) => {
        const file = join(work, `ol${i}.ndjson`)
        writeFileSync(file, text)
        const db = join(work, `ol${i}.db`)
        const r = await run('node', [CLI, 'collect', 'openlineage', file, '--db', db], {
          cwd: ROOT,
          env: { ...process.env, LOG_LEVEL: 'warn' },
        }).then(
          (ok) => ({ code: 0, stderr: ok.stderr, stdout: ok.stdout }),
          (e: { code: number; stderr: string; stdout: string }) => ({
            code: e.code,
            stderr: e.stderr,
            stdout: e.stdout,
          }),
        )
        expect([0, 2], r.stderr).toContain(r.code)
        expect(r.stderr).not.toContain('unexpected error')
        expect(r.stderr).not.toMatch(/\n\s+at /)
        if (i === 0) {
          expect(r.code).toBe(0)
          expect(r.stderr).toMatch(/warning: .*ol0\.ndjson:2/)
        }
        if (i === cases.length - 1) expect(r.code).toBe(2)
      }),
    )
  }, 60_000)
})
