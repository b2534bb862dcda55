import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string
  }
}

const SCRIPT = new URL('./cluster.sh', import.meta.url).pathname

/** Starts a throwaway cluster for the suite; the returned teardown stops it, also when tests failed. */
export function setup(project: TestProject): () => void {
  const parent = mkdtempSync(join(tmpdir(), 'meshwatch-pg-'))
  chmodSync(parent, 0o755) // as root the cluster runs as postgres, which must reach it
  const dir = join(parent, 'cluster')
  let url: string
  try {
    // cluster.sh stops what it started when a start fails part way
    url = execFileSync(SCRIPT, ['start', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim()
  } catch (e) {
    rmSync(parent, { recursive: true, force: true })
    throw e
  }
  project.provide('pgUrl', url)
  return () => {
    execFileSync(SCRIPT, ['stop', dir], { stdio: 'inherit' })
    rmSync(parent, { recursive: true, force: true })
  }
}
