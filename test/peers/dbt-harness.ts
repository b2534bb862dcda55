import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// Helpers for peer tests that run the REAL dbt / dbt-ol of the .venv against a live meshwatch.
const exec = promisify(execFile)
export const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const VENV_BIN = join(REPO, '.venv/bin')

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      s.close(() => resolve(port))
    })
  })
}

export type Meshwatch = {
  url: string
  child: ChildProcess
  output: () => string
  stop: () => Promise<void>
}

/** `meshwatch serve --no-demo` as a child process on a free port; resolves once /api/health answers. */
export async function startMeshwatch(dbFile: string): Promise<Meshwatch> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' }
  for (const k of ['MESHWATCH_DB', 'PORT', 'HOST', 'MESHWATCH_CONFIG', 'MESHWATCH_AUTH'])
    delete env[k]
  const child = spawn(
    process.execPath,
    [
      join(REPO, 'dist/cli.js'),
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--no-demo',
      '--db',
      dbFile,
    ],
    { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()))
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`meshwatch serve exited ${child.exitCode}:\n${out}`)
    const ok = await fetch(`${url}/api/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`meshwatch serve did not answer /api/health within 60 s:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return { url, child, output: () => out, stop }
}

/**
 * A build dir like build-demo.sh's: <work>/projects/<p> copies of the demo projects (seeds
 * stamped relative to now), dbt run with <work> as cwd so the DuckDB file is <work>/mesh.duckdb.
 * Build targets go to <work>/mesh/<p>/target, so <work>/mesh is MESHWATCH_UPSTREAM for dbt-loom.
 */
export async function prepareMesh(work: string, projects: readonly string[]): Promise<void> {
  mkdirSync(join(work, 'projects'), { recursive: true })
  for (const p of projects) {
    const dst = join(work, 'projects', p)
    cpSync(join(REPO, 'fixtures/dbt/projects', p), dst, { recursive: true })
    for (const d of ['target', 'logs', 'dbt_packages'])
      rmSync(join(dst, d), { recursive: true, force: true })
  }
  await exec('python3', [join(REPO, 'fixtures/record/stamp_loaded_at.py'), join(work, 'projects')])
}

export const projectDir = (work: string, p: string) => join(work, 'projects', p)
export const buildTarget = (work: string, p: string) => join(work, 'mesh', p, 'target')

export type DbtRun = { code: number; output: string }

/**
 * Runs `<tool> <args>` (dbt or dbt-ol from the .venv) for project p as build-demo.sh does:
 * cwd = work, MESHWATCH_DUCKDB=mesh.duckdb, DBT_PROFILES_DIR=<project>, DBT_LOOM_CONFIG for
 * consumers, MESHWATCH_UPSTREAM=<work>/mesh. No OpenLineage setting leaks in from outside.
 */
export async function runDbt(
  work: string,
  p: string,
  tool: 'dbt' | 'dbt-ol',
  args: string[],
  env: Record<string, string> = {},
): Promise<DbtRun> {
  const pdir = projectDir(work, p)
  const base: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(base)) if (k.startsWith('OPENLINEAGE')) delete base[k]
  try {
    const r = await exec(
      join(VENV_BIN, tool),
      [...args, '--project-dir', pdir, '--log-path', join(work, 'logs', p)],
      {
        cwd: work,
        env: {
          ...base,
          PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`,
          MESHWATCH_DUCKDB: 'mesh.duckdb',
          DBT_PROFILES_DIR: pdir,
          DBT_LOOM_CONFIG: existsSync(join(pdir, 'dbt_loom.config.yml'))
            ? join(pdir, 'dbt_loom.config.yml')
            : join(pdir, 'no-dbt-loom-config.yml'),
          MESHWATCH_UPSTREAM: join(work, 'mesh'),
          DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
          DO_NOT_TRACK: '1',
          DBT_USE_COLORS: 'false',
          ...env,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    )
    return { code: 0, output: `${r.stdout}${r.stderr}` }
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; message: string }
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      output: `${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`,
    }
  }
}
