import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { COLLECT_COMMANDS, COMMANDS } from '../../server/commands/index.ts'

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url))
const exec = promisify(execFile)
const cli = (...args: string[]) => exec(process.execPath, [join(DIST, 'cli.js'), ...args])

/** What loading `file` loads before any code runs: its static imports, transitively. */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  const code = readFileSync(join(DIST, file), 'utf8')
  for (const m of code.matchAll(
    /^(?:import|export)\s[^;]*?\bfrom\s*"([^"]+)";|^import\s*"([^"]+)";/gms,
  )) {
    const spec = m[1] ?? m[2] ?? ''
    if (seen.has(spec)) continue
    seen.add(spec)
    if (spec.startsWith('./')) staticImports(spec.slice(2), seen)
  }
  return seen
}

describe('meshwatch starts fast', () => {
  it('loads no package but commander before it knows the command (each is a lazy chunk)', () => {
    const loaded = [...staticImports('cli.js')]
    expect(loaded).toContain('commander')
    expect(loaded.filter((s) => !s.startsWith('./'))).toEqual(['commander'])
    // The chunks it loads are small: the CLI's own code, not the store or the server.
    const bytes = loaded
      .filter((s) => s.startsWith('./'))
      .reduce(
        (n, s) => n + readFileSync(join(DIST, s)).length,
        readFileSync(join(DIST, 'cli.js')).length,
      )
    expect(bytes).toBeLessThan(20_000)
  })

  it('lists every command with its description, and a command loaded shows its options', async () => {
    const help = (await cli('--help')).stdout.replace(/\s+/g, ' ')
    for (const c of COMMANDS) expect(help).toContain(`${c.name} ${c.description}`)
    const collect = (await cli('collect', '--help')).stdout.replace(/\s+/g, ' ')
    for (const c of COLLECT_COMMANDS) expect(collect).toContain(`${c.name} ${c.description}`)
    const dbt = (await cli('collect', 'help', 'dbt')).stdout
    expect(dbt).toContain('--profiles-dir <dir>')
    const serve = (await cli('serve', '--help')).stdout
    expect(serve).toContain('--no-demo')
  })

  it('suggests the command meant, and exits 2 on an unknown one', async () => {
    const r = await cli('sevre').then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unknown command 'sevre'")
    expect(r.stderr).toContain('serve')
  })
})
