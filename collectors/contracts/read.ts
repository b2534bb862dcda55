import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { CORE_SCHEMA, load } from 'js-yaml'
import { LineCounter, parseDocument } from 'yaml'
import { CollectorError } from '../batch.ts'
import {
  ODCS_VERSIONS,
  OdcsSchema,
  SUPPORTED_RANGE,
  type ContractDoc,
  type OdcsVersion,
} from './schema.ts'
import { schemaIssues } from './validate.ts'
import { dottedOf, lineOf } from './yaml-locate.ts'

export interface ContractIssue {
  file: string
  line: number
  column: number
  path: string
  message: string
}

export const formatContractIssue = (i: ContractIssue): string =>
  `${i.file}:${i.line}:${i.column}: ${i.path}: ${i.message}`

/** A contract file that does not parse or validate; every issue names file:line:column and the field. */
export class ContractError extends CollectorError {
  readonly issues: ContractIssue[]
  constructor(issues: ContractIssue[]) {
    super(issues.map(formatContractIssue).join('\n'), { file: issues[0]?.file })
    this.issues = issues
  }
}

const MAX_ISSUES = 20

/**
 * Parses one ODCS contract (YAML, or JSON which is YAML too) and validates it against the official
 * JSON schema of its apiVersion; throws ContractError naming file, line and field.
 */
export function parseContractText(text: string, file: string): ContractDoc {
  // Fast path: js-yaml builds plain objects directly, several times faster than the yaml library's
  // document model. Only a contract that fails (YAML, schema or types) pays for the line-aware parse,
  // whose errors name the line. Aliases are refused here and left to that parse's alias budget.
  const raw = loadFast(text)
  if (raw !== undefined) {
    const doc = typedContract(raw, file)
    if (doc) return doc
  }
  return parseLocated(text, file)
}

function loadFast(text: string): unknown {
  try {
    return load(text, { schema: CORE_SCHEMA, maxAliases: 0 })
  } catch {
    return undefined // any error is reported, with its line, by parseLocated
  }
}

const isOdcsVersion = (v: unknown): v is OdcsVersion =>
  typeof v === 'string' && (ODCS_VERSIONS as readonly string[]).includes(v)

/** The contract when `raw` passes its apiVersion's schema and our types; undefined otherwise. */
function typedContract(raw: unknown, file: string): ContractDoc | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined
  const document = raw as Record<string, unknown>
  if (!isOdcsVersion(document.apiVersion)) return undefined
  if (schemaIssues(document, document.apiVersion).length > 0) return undefined
  const typed = OdcsSchema.safeParse(document)
  if (!typed.success) return undefined
  return { file, contract: typed.data, document, contentHash: hashDocument(document) }
}

function parseLocated(text: string, file: string): ContractDoc {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false })
  const issue = (pointer: string, message: string, at?: number): ContractIssue => {
    const pos =
      at === undefined
        ? lineOf(doc, counter, pointer)
        : { line: counter.linePos(at).line, column: counter.linePos(at).col }
    return { file, ...pos, path: dottedOf(pointer), message }
  }
  if (doc.errors.length > 0)
    throw new ContractError(
      doc.errors
        .slice(0, MAX_ISSUES)
        .map((e) => issue('', e.message.split('\n')[0] ?? 'invalid YAML', e.pos[0])),
    )
  const raw: unknown = doc.toJS({ maxAliasCount: 100 })
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ContractError([issue('', 'expected an ODCS data contract (a mapping)')])
  const document = raw as Record<string, unknown>
  const api = document.apiVersion
  if (!isOdcsVersion(api)) {
    const shown = api === undefined ? 'missing' : `'${String(api)}' is not supported`
    throw new ContractError([
      issue(
        '/apiVersion',
        `apiVersion ${shown}: meshwatch reads ODCS ${SUPPORTED_RANGE} (${ODCS_VERSIONS.join(', ')})`,
      ),
    ])
  }
  const issues = schemaIssues(document, api)
  if (issues.length > 0)
    throw new ContractError(
      issues.slice(0, MAX_ISSUES).map((i) => issue(i.pointer, `${i.message} (ODCS ${api} schema)`)),
    )
  const typed = OdcsSchema.safeParse(document)
  if (!typed.success) {
    throw new ContractError(
      typed.error.issues
        .slice(0, MAX_ISSUES)
        .map((i) => issue(i.path.map((p) => `/${String(p)}`).join(''), i.message)),
    )
  }
  return { file, contract: typed.data, document, contentHash: hashDocument(document) }
}

/** sha256 of the canonical JSON (keys sorted): equal for the same contract in YAML or JSON. */
export function hashDocument(doc: unknown): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex')
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`
  }
  return JSON.stringify(v instanceof Date ? v.toISOString() : v) ?? 'null'
}

export const CONTRACT_FILE = /\.odcs\.(ya?ml|json)$/i

/** The contract files of the given files and directories (recursively: `*.odcs.yaml|yml|json`). */
export function findContractFiles(paths: string[]): string[] {
  const out: string[] = []
  const walk = (p: string, explicit: boolean) => {
    let st
    try {
      st = statSync(p)
    } catch (e) {
      throw new CollectorError(`${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`, {
        file: p,
        cause: e,
      })
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name === 'node_modules' || name.startsWith('.')) continue
        walk(join(p, name), false)
      }
    } else if (explicit || CONTRACT_FILE.test(p)) out.push(p)
  }
  for (const p of paths) walk(p, true)
  return out
}

/**
 * Reads and validates every contract of the given files/dirs. All or nothing: the issues of every
 * bad file are thrown together, so nothing is stored when one is invalid.
 */
export function readContracts(paths: string[]): ContractDoc[] {
  const files = findContractFiles(paths)
  if (files.length === 0)
    throw new CollectorError(`no *.odcs.yaml / *.odcs.json contract in ${paths.join(', ')}`)
  const docs: ContractDoc[] = []
  const issues: ContractIssue[] = []
  for (const f of files) {
    try {
      docs.push(parseContractText(readFileSync(f, 'utf8'), f))
    } catch (e) {
      if (e instanceof ContractError) issues.push(...e.issues)
      else throw e
    }
  }
  if (issues.length > 0) throw new ContractError(issues)
  return docs
}
