import { existsSync } from 'node:fs'
import { ConfigError, EMPTY_CONFIG, loadConfigFile, type MeshwatchConfig } from '../config-file.ts'
import { demoClock } from '../demo-clock.ts'
import type { Deps, Logger } from '../deps.ts'
import { createEvaluator, type EvaluationSummary } from '../evaluate.ts'
import { redact } from '../log.ts'
import { openCommandStore, UsageError } from './shared.ts'

/** Reads meshwatch.yml; a bad one is a UsageError (exit 2) listing file:line:col: field: reason. */
export function readMeshwatchConfig(file: string): MeshwatchConfig {
  try {
    return loadConfigFile(file)
  } catch (e) {
    if (e instanceof ConfigError)
      throw new UsageError(`invalid configuration:\n${e.message}`, { cause: e })
    throw e
  }
}

/** --config, else $MESHWATCH_CONFIG, else ./meshwatch.yml when there is one. */
export const configFileOf = (o: { config?: string | undefined }): string | undefined =>
  o.config ??
  process.env.MESHWATCH_CONFIG ??
  (existsSync('meshwatch.yml') ? 'meshwatch.yml' : undefined)

export const meshwatchConfigOf = (o: { config?: string | undefined }): MeshwatchConfig => {
  const file = configFileOf(o)
  return file ? readMeshwatchConfig(file) : EMPTY_CONFIG
}

export const CONFIG_OPTION_HELP =
  'meshwatch.yml: SLAs, products and alert routes (default: $MESHWATCH_CONFIG, then ./meshwatch.yml)'

/** A command's warnings on stderr as `warning: …` lines, secrets redacted; info is not shown. */
const STDERR_LOG: Logger = {
  info() {},
  warn: (msg, fields) => warn(msg, fields),
  error: (msg, fields) => warn(msg, fields),
}

function warn(msg: string, fields?: Record<string, unknown>) {
  const detail = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''
  process.stderr.write(redact(`warning: ${msg}${detail}\n`))
}

export interface LocalStore {
  /** The store's Deps: afterWrite evaluates what a write touched and enqueues its alerts, as serve does. */
  deps: Deps
  /** What the afterWrites evaluated, together (a product scored twice counts once); none ran: undefined. */
  evaluated: () => { evaluated: number; changed: number; alerts: number } | undefined
  close: () => void
}

/**
 * The store of a command run without a server (collect … --db): its writes are evaluated as
 * serve evaluates them (the same evaluator, as afterWrite, on the store's clock), so what a
 * collect touched is scored and its alerts are in the outbox when the command exits.
 */
export async function openLocalStore(o: { db?: string; config?: string }): Promise<LocalStore> {
  const meshwatch = meshwatchConfigOf(o)
  const opened = await openCommandStore(o)
  // the demo's clock once the demo was loaded into the store (as serve scores it), else the system's
  const anchor = await opened.admin.getDemoAnchor()
  const now = anchor ? demoClock(anchor) : undefined
  const store: Deps = { store: opened, meshwatch, log: STDERR_LOG, ...(now ? { now } : {}) }
  const evaluator = createEvaluator(store)
  const evaluated = new Set<string>()
  const changed = new Set<string>()
  const alerts = new Set<number>()
  let ran = false
  return {
    deps: {
      ...store,
      afterWrite: (w, tx) => {
        ran = true
        const add = (r: EvaluationSummary | undefined) => {
          for (const id of r?.evaluated ?? []) evaluated.add(id)
          for (const id of r?.changed ?? []) changed.add(id)
          for (const id of r?.alerts ?? []) alerts.add(id)
        }
        // synchronous on SQLite (a writer still on its Db does not await it)
        const r = evaluator.afterWrite(w, tx)
        return r instanceof Promise ? r.then(add) : add(r)
      },
    },
    evaluated: () =>
      ran ? { evaluated: evaluated.size, changed: changed.size, alerts: alerts.size } : undefined,
    close: () => void opened.close(),
  }
}

/** The line a collect prints after storing: what was evaluated and how many alerts wait in the outbox. */
export const evaluationLine = (s: ReturnType<LocalStore['evaluated']>): string =>
  s === undefined
    ? ''
    : `evaluated ${s.evaluated} products (${s.changed} stored), ${s.alerts} alerts queued\n`
