import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../../server/config-file.ts'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import { ROOT, goodMesh, readTarget } from './helpers.ts'

// gate.column_level (#19) as a meshwatch.yml sets it: the demo's file with one line added.
const NOW = new Date('2026-11-26T00:00:00Z')
const DEMO = readFileSync(`${ROOT}fixtures/meshwatch.yml`, 'utf8')
const withGate = (line: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'mw-column-level-')), 'meshwatch.yml')
  writeFileSync(file, DEMO.replace('gate:\n', `gate:\n${line}\n`))
  return file
}

async function badDayOrders(file: string) {
  const report = evaluateGate({
    current: await readTarget(`${ROOT}fixtures/dbt/bad/sales/target`),
    baseline: await goodMesh(),
    baselineLabel: 'fixtures/dbt/good',
    config: loadConfigFile(file),
    now: NOW,
  })
  return report.checks.find((c) => c.id === 'breaking-change:mesh.sales.orders')?.status
}

describe('gate.column_level in meshwatch.yml', () => {
  it('is used-only when unset, and as set otherwise (the bad day drops a column nobody reads)', async () => {
    expect(DEMO).not.toContain('column_level')
    expect(await badDayOrders(`${ROOT}fixtures/meshwatch.yml`)).toBe('pass')
    expect(await badDayOrders(withGate('  column_level: used-only'))).toBe('pass')
    expect(await badDayOrders(withGate('  column_level: strict'))).toBe('fail')
  })

  it('refuses another value, naming the file, its line and the field', () => {
    const file = withGate('  column_level: loose')
    expect(() => loadConfigFile(file)).toThrow(/meshwatch\.yml:\d+:\d+: gate\.column_level/)
  })
})
