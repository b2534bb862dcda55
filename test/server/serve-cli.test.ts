import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const BIN = join(import.meta.dirname, '../../dist/cli.js')

describe('meshwatch serve', () => {
  it('says which address is taken, without a stack trace, when its port is in use', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = String((blocker.address() as { port: number }).port)
    const db = join(mkdtempSync(join(tmpdir(), 'mw-serve-')), 'x.db')
    try {
      await run(process.execPath, [BIN, 'serve', '--no-demo', '--db', db, '--port', port])
      expect.unreachable('serve should have failed')
    } catch (e) {
      const x = e as { code: number; stderr: string }
      expect(x.code).toBe(1)
      expect(x.stderr).toContain(`127.0.0.1:${port} is already in use`)
      expect(x.stderr).not.toMatch(/\n\s+at /)
    } finally {
      blocker.close()
    }
  })

  it('reads ./meshwatch.yml like the other commands, and refuses a bad one naming file, line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-serve-cfg-'))
    writeFileSync(join(dir, 'meshwatch.yml'), 'domains:\n  sales:\n    owner: 42\n')
    try {
      await run(
        process.execPath,
        [BIN, 'serve', '--no-demo', '--db', join(dir, 'x.db'), '--port', '0'],
        {
          cwd: dir,
        },
      )
      expect.unreachable('serve should have refused the configuration')
    } catch (e) {
      const x = e as { code: number; stderr: string }
      expect(x.code).toBe(2)
      expect(x.stderr).toMatch(/meshwatch\.yml:3:\d+: domains\.sales\.owner/)
      expect(x.stderr).not.toMatch(/\n\s+at /)
    }
  })
})
