import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import type { Dialect } from './sdk.ts'
import type { Column, Ref } from '../../batch.ts'
import type { SqlLineage, SqlLineageOptions } from './lineage.ts'

/**
 * Worker threads that compute column lineage (parse, star expansion, walk) of many models at
 * once, each loading the parser once. addColumnLineage is synchronous (it runs inside the dbt
 * mapping), so the pool is too: the main thread hands out chunks of models and blocks on an
 * Atomics counter the workers bump after each reply, reading replies with receiveMessageOnPort.
 * Results are merged by the caller in its own (topological) order, so they are the serial ones.
 */

/** A relation as a worker knows it: by its index in the list, under the names the SQL reads it by. */
export type WireRelation = {
  name: string
  ref: Ref
  columns: Column[] | undefined
  names: string[]
}
export type PoolInit = {
  dialect: Dialect
  engine: SqlLineageOptions['engine']
  perColumn: boolean | undefined
  relations: WireRelation[]
  port: MessagePort
  signal: SharedArrayBuffer
}
export type PoolTask = { k: number; sql: string; output: Ref; upstream: number[] }
/** `updates`: columns computed for relations since this worker's last chunk */
export type PoolChunk = { updates: [number, Column[]][]; tasks: PoolTask[] }
export type PoolReply = { ready: true } | { results: [number, SqlLineage][] } | { fatal: string }

// a worker that has not answered for this long is taken for dead (its models are computed here)
const SILENCE_MS = 120_000
const WAIT_MS = 5

/**
 * Workers for `models` models: as `requested` (0: none; `collect dbt` takes it from
 * MESHWATCH_COLUMN_LINEAGE_WORKERS), else by the project's size and the cores.
 */
export function poolSize(models: number, requested?: number): number {
  if (requested !== undefined) {
    return Number.isInteger(requested) && requested > 0 ? Math.min(requested, 16) : 0
  }
  // a small project stays in-process: starting a worker and loading the parser costs ~0.1–1 s
  // the calling thread computes too: one worker fewer than the cores. On 2 cores, none: the one
  // worker beside the collect's thread took ~50% more CPU than the serial run (its own parser,
  // cloned results, waits; 15.6 vs 10.3 s on the 10k-model bench) and ~2× its RSS (860–950 vs
  // 410 MB), for a wall time no better whenever the machine is shared (#19)
  const cores = availableParallelism()
  if (models < 400 || cores < 3) return 0
  return Math.min(cores - 1, Math.ceil(models / 400), 8)
}

/**
 * The worker's script: from dist/, the bundled column-lineage-worker.js beside this chunk; from
 * source, worker.ts bundled by esbuild (a dev dependency) into node_modules/.cache (a worker does
 * not inherit tsx's loader, and loading the sources through it in a worker took 10–20 s).
 */
function workerEntry(): URL | undefined {
  if (!import.meta.url.endsWith('.ts')) {
    const url = new URL('./column-lineage-worker.js', import.meta.url)
    return existsSync(fileURLToPath(url)) ? url : undefined
  }
  const url = new URL(
    '../../../node_modules/.cache/meshwatch/column-lineage-worker.mjs',
    import.meta.url,
  )
  try {
    const esbuild = createRequire(import.meta.url)('esbuild') as {
      buildSync: (o: Record<string, unknown>) => { outputFiles: { text: string }[] }
    }
    const built = esbuild.buildSync({
      entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent',
    })
    // written whole, then renamed: another collect may be starting its workers from it
    const file = fileURLToPath(url)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(`${file}.${process.pid}`, built.outputFiles[0]!.text)
    renameSync(`${file}.${process.pid}`, file)
    return url
  } catch {
    return undefined
  }
}

export class LineagePool {
  readonly size: number
  readonly #workers: Worker[] = []
  readonly #ports: MessagePort[] = []
  readonly #signal = new Int32Array(new SharedArrayBuffer(4))
  #dead = false

  private constructor(size: number) {
    this.size = size
  }

  /** Starts `size` workers; undefined where none can be (no worker entry, or one fails to start). */
  static open(size: number, init: Omit<PoolInit, 'port' | 'signal'>): LineagePool | undefined {
    const where = size < 1 ? undefined : workerEntry()
    if (!where) return undefined
    const pool = new LineagePool(size)
    try {
      for (let i = 0; i < size; i++) {
        const { port1, port2 } = new MessageChannel()
        const data: PoolInit = {
          ...init,
          port: port2,
          signal: pool.#signal.buffer as SharedArrayBuffer,
        }
        const worker = new Worker(where, { workerData: data, transferList: [port2] })
        // a worker's failure reaches the main thread as a message it reads; the event loop is
        // blocked meanwhile, and an unhandled 'error' event would be thrown later
        worker.on('error', () => {})
        worker.unref()
        pool.#workers.push(worker)
        pool.#ports.push(port1)
      }
      const started = new Set<number>()
      while (started.size < size) {
        const { worker, reply } = pool.receive()
        if (!('ready' in reply)) throw new Error('fatal' in reply ? reply.fatal : 'no ready')
        started.add(worker)
      }
      return pool
    } catch {
      pool.close()
      return undefined
    }
  }

  /** A reply already there, if any (does not wait). */
  poll(): { worker: number; reply: PoolReply } | undefined {
    for (let w = 0; w < this.#ports.length; w++) {
      const m = receiveMessageOnPort(this.#ports[w]!)
      if (m) return { worker: w, reply: m.message as PoolReply }
    }
    return undefined
  }

  send(worker: number, chunk: PoolChunk): void {
    this.#ports[worker]!.postMessage(chunk)
  }

  /** The next reply of any worker; throws when none has answered for SILENCE_MS. */
  receive(): { worker: number; reply: PoolReply } {
    if (this.#dead) throw new Error('column lineage workers stopped')
    let since = Date.now()
    for (;;) {
      const seen = Atomics.load(this.#signal, 0)
      const got = this.poll()
      if (got) return got
      // short waits, so a reply posted just after the counter was read is not left for long
      if (Atomics.wait(this.#signal, 0, seen, WAIT_MS) !== 'timed-out') since = Date.now()
      else if (Date.now() - since > SILENCE_MS) {
        this.#dead = true
        throw new Error(`column lineage workers silent for ${SILENCE_MS / 1000} s`)
      }
    }
  }

  close(): void {
    this.#dead = true
    for (const p of this.#ports) p.close()
    for (const w of this.#workers) void w.terminate()
  }
}
