import { execFile } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { FIXTURES } from '../../server/demo.ts'

const run = promisify(execFile)
const BIN = join(import.meta.dirname, '../../dist/cli.js')
const DEMO = join(FIXTURES, 'contracts', 'demo')

async function cli(args: string[]) {
  try {
    const r = await run(process.execPath, [BIN, ...args])
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

const stored = (file: string) => {
  const db = new Database(file, { readonly: true })
  const rows = db.prepare('select contract_id, version from contracts order by id').all()
  db.close()
  return rows
}

describe('meshwatch collect contracts', () => {
  const root = mkdtempSync(join(tmpdir(), 'mw-contracts-'))

  it('stores a directory of contracts, and a second run changes nothing', async () => {
    const db = join(root, 'a.db')
    const first = await cli(['collect', 'contracts', DEMO, '--db', db])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('contract urn:meshwatch-demo:sales:orders 1.2.0 stored')
    const again = await cli(['collect', 'contracts', DEMO, '--db', db])
    expect(again.stdout).toContain(
      'contract urn:meshwatch-demo:sales:orders 1.2.0 unchanged (already collected)',
    )
    expect(stored(db)).toHaveLength(2)
  })

  it('refuses the whole command with exit 2, naming file, line and field, when one file is invalid', async () => {
    const db = join(root, 'b.db')
    const dir = join(root, 'mixed')
    mkdirSync(dir)
    copyFileSync(join(DEMO, 'finance-revenue.odcs.yaml'), join(dir, 'finance.odcs.yaml'))
    const bad = readFileSync(join(DEMO, 'sales-orders.odcs.yaml'), 'utf8').replace(
      'apiVersion: v3.1.0',
      'apiVersion: v2.2.2',
    )
    writeFileSync(join(dir, 'sales.odcs.yaml'), bad)
    const r = await cli(['collect', 'contracts', dir, '--db', db])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      `${join(dir, 'sales.odcs.yaml')}:3:13: apiVersion: apiVersion 'v2.2.2' is not supported`,
    )
    expect(r.stderr).not.toContain('unexpected error')
    // Refused before the store is even opened.
    expect(existsSync(db)).toBe(false)
  })
})
