import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const ARTIFACTS = join(ROOT, 'test-results')

export function buildWeb(): void {
  execFileSync(process.execPath, [join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' })
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      s.close(() => resolve(port))
    })
  })
}

export interface RunningServer {
  url: string
  dir: string
  /** What the server wrote to stderr (its log at LOG_LEVEL warn) so far. */
  log(): string
  stop(): Promise<void>
}

/** `meshwatch serve` as a child process on a fresh store (demo mesh loaded unless args say otherwise). */
export async function startMeshwatch(
  opts: { db?: string; args?: string[]; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwatch-e2e-'))
  const port = await freePort()
  const db = opts.db ?? join(dir, 'meshwatch.db')
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'dist/cli.js'), 'serve', '--port', String(port), '--db', db, ...(opts.args ?? [])],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env },
    },
  )
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000)
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`meshwatch serve exited ${child.exitCode}: ${stderr}`)
    try {
      if ((await fetch(`${url}/api/health`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill()
      throw new Error(`meshwatch serve did not answer in time: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    url,
    dir,
    log: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((r) => child.once('exit', r))
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Debian's Chromium, headless, with a throwaway profile and nothing phoning home. */
export async function launchChromium(): Promise<{
  context: BrowserContext
  close(): Promise<void>
}> {
  const profile = mkdtempSync(join(tmpdir(), 'meshwatch-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: number
}

/** axe-core (from node_modules) injected into the page; its serious and critical violations. */
export async function axeSerious(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') })
  // Page-side code is passed as a string: the node tsconfig has no DOM lib.
  const all = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })))`)) as AxeViolation[]
  return all.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

export interface DemoPage {
  server: RunningServer
  page: Page
  close(): Promise<void>
}

/** The page built, the demo mesh served, and one Chromium page at `viewport` (1280×800 by default). */
export async function openDemoPage(viewport = { width: 1280, height: 800 }): Promise<DemoPage> {
  mkdirSync(ARTIFACTS, { recursive: true })
  buildWeb()
  const server = await startMeshwatch()
  const browser = await launchChromium()
  const page = await browser.context.newPage()
  await page.setViewportSize(viewport)
  page.on('pageerror', (e) => console.error('page error:', e.message))
  return {
    server,
    page,
    async close() {
      await browser.close()
      await server.stop()
    },
  }
}

/** Waits for the router's ready marker: the current view is rendered. */
export const pageReady = (page: Page) =>
  page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 })
