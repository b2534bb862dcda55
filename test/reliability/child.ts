import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

export interface ServerProcess {
  url: string
  proc: ChildProcess
  stderr: () => string
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** `meshwatch serve` on a free port as a child process; resolves once it listens. */
export async function startServerProcess(
  db: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-demo', '--db', db], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', MESHWATCH_AUTH: 'off', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  proc.stderr?.setEncoding('utf8')
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${err}`)), 20_000)
    proc.stderr?.on('data', (s: string) => {
      err += s
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${err}`))
    })
  })
  return {
    url,
    proc,
    stderr: () => err,
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = once(proc, 'exit')
      proc.kill(signal)
      await exited
    },
  }
}

/** Runs the CLI to completion; never rejects, returns the exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    proc.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** What streaming clients saw: the events acknowledged, non-5xx refusals, duplicates answered. */
export interface Acks {
  acked: Set<string>
  unexpected: string[]
  duplicates: number
}

export const newAcks = (): Acks => ({ acked: new Set(), unexpected: [], duplicates: 0 })

/**
 * POSTs one event until a server acknowledges it, across crashes and restarts: attempt n goes to
 * `urlFor(n)` (one server, or the servers in turn); a refused or reset connection is tried again.
 */
export async function postUntilAcked(
  ev: { path: string; body: string; marker: string },
  urlFor: (attempt: number) => string,
  acks: Acks,
  opts: { firstAttempt?: number; timeoutMs: number },
): Promise<void> {
  for (let attempt = opts.firstAttempt ?? 0; ; attempt++) {
    try {
      const res = await fetch(`${urlFor(attempt)}${ev.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: ev.body,
        signal: AbortSignal.timeout(opts.timeoutMs),
      })
      const text = await res.text()
      if (res.ok) {
        acks.acked.add(ev.marker)
        const body = JSON.parse(text) as { duplicate?: boolean; status?: string }
        if (body.duplicate === true || body.status === 'duplicate') acks.duplicates++
        return
      }
      if (res.status < 500) acks.unexpected.push(`${res.status} ${text}`)
    } catch {
      // Connection refused or reset while that server is down: again.
    }
    await sleep(20)
  }
}

/** A client's dbt batch for the crash tests: one dataset named `marker` written by its job. */
export function crashBatch(
  client: number,
  marker: string,
): { marker: string; kind: 'batch'; path: string; body: string } {
  const batch = {
    kind: 'dbt',
    scope: marker,
    datasets: [{ namespace: 'crash://test', name: marker, domain: `d${client}` }],
    jobs: [{ namespace: 'crash', name: `job-c${client}`, type: 'dbt_model' }],
    edges: [
      {
        job: { namespace: 'crash', name: `job-c${client}` },
        dataset: { namespace: 'crash://test', name: marker },
        direction: 'output',
      },
    ],
  }
  return { marker, kind: 'batch', path: '/api/batches', body: JSON.stringify(batch) }
}
