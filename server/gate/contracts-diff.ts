import { refKey } from '../../collectors/batch.ts'
import { candidatesOf } from '../../collectors/contracts/naming.ts'
import type { ContractDoc, Odcs } from '../../collectors/contracts/schema.ts'
import { consumerLine, consumersOf, domainsOf } from './breaking.ts'
import type { Mesh, MeshDataset } from './mesh.ts'
import type { Consumer, GateCheck } from './types.ts'

/*
 * The gate's contract checks (#17): the pull request's ODCS contracts against production's
 * (a promised column removed, a type narrowed, `required` dropped, an SLA property weakened or
 * removed, a contract deleted while another domain reads what it covers), and the build against
 * the pull request's own contracts (every promised column there, with the promised type).
 */

type Property = NonNullable<NonNullable<Odcs['schema']>[number]['properties']>[number]
type SlaProperty = NonNullable<Odcs['slaProperties']>[number]

/** The mesh dataset a contract's schema object names (by its servers, else by name). */
function bindInMesh(
  mesh: Mesh,
  c: Odcs,
  o: NonNullable<Odcs['schema']>[number],
): MeshDataset | undefined {
  for (const cand of candidatesOf(c, o)) {
    if (cand.namespace !== undefined) {
      const d = mesh.datasets.get(refKey({ namespace: cand.namespace, name: cand.name }))
      if (d) return d
      continue
    }
    const n = cand.name.toLowerCase()
    const hits = [...mesh.datasets.values()].filter(
      (d) => d.name.toLowerCase() === n || d.name.toLowerCase().endsWith(`.${n}`),
    )
    return hits.find((d) => d.kind === 'model') ?? hits[0]
  }
  return undefined
}

const MS: Record<string, number> = {
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 3.6e6,
  d: 8.64e7,
  w: 6.048e8,
  mo: 2.592e9,
  y: 3.1536e10,
}
const UNIT_ALIASES: [RegExp, string][] = [
  [/^(ms|millis(econds?)?)$/, 'ms'],
  [/^(s|sec|secs|seconds?)$/, 's'],
  [/^(m|min|mins|minutes?)$/, 'm'],
  [/^(h|hr|hrs|hours?)$/, 'h'],
  [/^(d|days?)$/, 'd'],
  [/^(w|wk|weeks?)$/, 'w'],
  [/^(mo|months?)$/, 'mo'],
  [/^(y|yr|yrs|years?)$/, 'y'],
]
/** A duration or plain number in one scale: ms for time units, else the number itself. */
function magnitude(p: SlaProperty): number | undefined {
  const v = typeof p.value === 'number' ? p.value : Number(p.value)
  if (!Number.isFinite(v)) return undefined
  const u = p.unit?.trim().toLowerCase()
  if (!u || u === 'percent' || u === '%') return v
  const key = UNIT_ALIASES.find(([re]) => re.test(u))?.[1]
  return key ? v * (MS[key] ?? 1) : undefined
}

/** Which way a property gets stronger: a smaller latency, a higher availability… */
const LOWER_IS_STRONGER = [
  'latency',
  'frequency',
  'timetodetect',
  'timetonotify',
  'timetorepair',
  'errorrate',
]
const HIGHER_IS_STRONGER = ['availability', 'retention', 'throughput']

const show = (p: SlaProperty) => `${String(p.value)}${p.unit ? ` ${p.unit}` : ''}`
const slaKey = (p: SlaProperty) => `${p.property.toLowerCase()}|${p.element ?? ''}`

/** How an SLA property changed: a weakening (regression), else a note or nothing. */
function slaChange(
  before: SlaProperty,
  after: SlaProperty | undefined,
): { weakened?: string; note?: string } {
  const name = before.property
  if (!after) return { weakened: `SLA property ${name} (${show(before)}) removed` }
  const prop = name.toLowerCase()
  if (prop === 'timeofavailability') {
    if (String(before.valueExt ?? '') !== String(after.valueExt ?? ''))
      return {
        note: `${name} moved from ${show(before)} ${String(before.valueExt ?? '')} to ${show(after)} ${String(after.valueExt ?? '')}: not compared across zones`,
      }
    return String(after.value) > String(before.value)
      ? { weakened: `SLA property ${name} weakened from ${show(before)} to ${show(after)} (later)` }
      : {}
  }
  const a = magnitude(before)
  const b = magnitude(after)
  if (a === undefined || b === undefined || a === b) {
    return a === b
      ? {}
      : {
          note: `${name} changed from ${show(before)} to ${show(after)}: meshwatch cannot compare them`,
        }
  }
  const weaker = LOWER_IS_STRONGER.includes(prop)
    ? b > a
    : HIGHER_IS_STRONGER.includes(prop)
      ? b < a
      : undefined
  if (weaker === undefined)
    return {
      note: `${name} changed from ${show(before)} to ${show(after)}: meshwatch does not know which way is stronger`,
    }
  return weaker
    ? { weakened: `SLA property ${name} weakened from ${show(before)} to ${show(after)}` }
    : {}
}

const INT_RANK: Record<string, number> = {
  tinyint: 1,
  smallint: 2,
  int: 3,
  integer: 3,
  bigint: 4,
  hugeint: 5,
}
const parseType = (t: string) => {
  const m = /^\s*([a-z ]+?)\s*(?:\(([^)]*)\))?\s*$/i.exec(t)
  return {
    base: (m?.[1] ?? t).toLowerCase(),
    args: (m?.[2] ?? '').split(',').filter(Boolean).map(Number),
  }
}
/** Whether a column of type `after` can hold every value of type `before`. */
function holds(before: string, after: string): boolean {
  const x = parseType(before)
  const y = parseType(after)
  if (x.base === y.base) return x.args.every((v, i) => (y.args[i] ?? Infinity) >= v)
  const rx = INT_RANK[x.base]
  const ry = INT_RANK[y.base]
  if (rx !== undefined && ry !== undefined) return ry >= rx
  if (rx !== undefined && /^(decimal|numeric|number|double|bigint)$/.test(y.base)) return true
  if (x.base === 'date' && y.base.startsWith('timestamp')) return true
  return /^(varchar|string|text)$/.test(y.base) && y.args.length === 0
}
const LOGICAL_WIDER: Record<string, string[]> = {
  integer: ['number', 'string'],
  date: ['timestamp', 'string'],
}

function propertyChanges(object: string, before: Property[], after: Property[]): string[] {
  const out: string[] = []
  for (const p of before) {
    const q = after.find((x) => x.name.toLowerCase() === p.name.toLowerCase())
    if (!q) {
      out.push(`promised column ${object}.${p.name} removed`)
      continue
    }
    if (p.physicalType && q.physicalType && !holds(p.physicalType, q.physicalType))
      out.push(`column ${object}.${p.name} narrowed from ${p.physicalType} to ${q.physicalType}`)
    else if (
      p.logicalType &&
      q.logicalType &&
      p.logicalType !== q.logicalType &&
      !LOGICAL_WIDER[p.logicalType]?.includes(q.logicalType)
    )
      out.push(
        `column ${object}.${p.name} changed logical type from ${p.logicalType} to ${q.logicalType}`,
      )
    if (p.required === true && q.required !== true)
      out.push(`column ${object}.${p.name} is no longer required (may be null)`)
  }
  return out
}

export interface ContractGateInput {
  baselineMesh: Mesh
  after: Mesh
  project: string
  baseline: readonly ContractDoc[]
  current: readonly ContractDoc[]
  /** The baseline holds every domain's contracts (a server's): compare only the project's. */
  baselineOfMesh?: boolean | undefined
  notes: string[]
}

/** Whether a contract covers a dataset the project builds (in that mesh). */
const coversProject = (mesh: Mesh, c: Odcs, project: string): boolean =>
  (c.schema ?? []).some((o) => bindInMesh(mesh, c, o)?.project === project)

/** The baseline contracts the pull request answers for: all, or of a whole mesh the project's. */
function comparedBaseline(input: ContractGateInput): readonly ContractDoc[] {
  if (!input.baselineOfMesh) return input.baseline
  const kept = new Set(input.current.map((d) => d.contract.id))
  const own = input.baseline.filter(
    (d) => kept.has(d.contract.id) || coversProject(input.baselineMesh, d.contract, input.project),
  )
  const others = input.baseline.length - own.length
  if (others > 0)
    input.notes.push(
      `${others} baseline contract${others === 1 ? '' : 's'} of other projects not compared`,
    )
  return own
}

const consumersOfContract = (mesh: Mesh, c: Odcs): Consumer[] => {
  const seen = new Set<string>()
  const out: Consumer[] = []
  for (const o of c.schema ?? []) {
    const d = bindInMesh(mesh, c, o)
    for (const x of d ? consumersOf(mesh, d) : []) {
      const k = `${x.domain}|${x.kind}|${x.name}`
      if (seen.has(k)) continue
      seen.add(k)
      out.push(x)
    }
  }
  return out
}

/** One check per baseline contract (its changes in the pull request) and per pull-request contract the build must satisfy. */
export function checkContracts(input: ContractGateInput): GateCheck[] {
  const { baselineMesh, after, project } = input
  const current = new Map(input.current.map((d) => [d.contract.id, d]))
  const checks: GateCheck[] = []
  for (const b of comparedBaseline(input)) {
    const c = b.contract
    const next = current.get(c.id)?.contract
    const consumers = consumersOfContract(baselineMesh, c)
    const changes: string[] = []
    if (!next) {
      if (consumers.length > 0) changes.push(`contract deleted`)
      else input.notes.push(`contract ${c.id} deleted; no other domain reads what it covers`)
    } else {
      for (const o of c.schema ?? []) {
        const o2 = next.schema?.find((x) => x.name === o.name)
        if (!o2) changes.push(`schema object ${o.name} removed`)
        else changes.push(...propertyChanges(o.name, o.properties ?? [], o2.properties ?? []))
      }
      const nextSla = new Map((next.slaProperties ?? []).map((p) => [slaKey(p), p]))
      for (const p of c.slaProperties ?? []) {
        const r = slaChange(p, nextSla.get(slaKey(p)))
        if (r.weakened) changes.push(r.weakened)
        if (r.note) input.notes.push(`contract ${c.id}: ${r.note}`)
      }
    }
    const who =
      consumers.length === 0 ? 'no known consumer' : `consumers in ${domainsOf(consumers)}`
    checks.push({
      id: `contract:${c.id}`,
      category: 'contract',
      name: `contract ${c.id} keeps its promises`,
      status: changes.length === 0 ? 'pass' : 'fail',
      message:
        changes.length === 0
          ? `no promise of ${c.id} weakened`
          : `contract ${c.id} ${next ? `${c.version} → ${next.version}` : c.version}: ${changes.join('; ')} — ${who}`,
      details:
        changes.length === 0
          ? []
          : [...changes.map((x) => `change: ${x}`), ...consumers.map(consumerLine)],
      targets: [c.id, ...(c.name ? [c.name] : [])],
      domain: c.domain,
      consumers,
      location: { file: b.file },
    })
  }
  for (const d of input.current) checks.push(...satisfaction(after, project, d, input.notes))
  return checks
}

/** The build against a pull-request contract on its own models: each promised column, with its type. */
function satisfaction(
  after: Mesh,
  project: string,
  doc: ContractDoc,
  notes: string[],
): GateCheck[] {
  const c = doc.contract
  const problems: string[] = []
  let own = false
  for (const o of c.schema ?? []) {
    const d = bindInMesh(after, c, o)
    if (!d) {
      notes.push(`contract ${c.id}: ${o.name} names no dataset of the mesh`)
      continue
    }
    if (d.project !== project) continue
    own = true
    const cols = d.columns ?? []
    if (cols.length === 0) {
      notes.push(`contract ${c.id}: the build reports no columns of ${d.name}`)
      continue
    }
    for (const p of o.properties ?? []) {
      const col = cols.find((x) => x.name.toLowerCase() === p.name.toLowerCase())
      if (!col) problems.push(`promised column ${o.name}.${p.name} is not in ${d.name}`)
      else if (p.physicalType && col.type && !holds(p.physicalType, col.type))
        problems.push(
          `column ${o.name}.${p.name} is ${col.type}, the contract promises ${p.physicalType}`,
        )
    }
  }
  if (!own) return []
  return [
    {
      id: `contract-satisfied:${c.id}`,
      category: 'contract',
      name: `the build satisfies contract ${c.id} ${c.version}`,
      status: problems.length === 0 ? 'pass' : 'fail',
      message:
        problems.length === 0
          ? `the build satisfies contract ${c.id} ${c.version}`
          : `the build does not satisfy its contract ${c.id} ${c.version}: ${problems.join('; ')}`,
      details: problems.map((p) => `unsatisfied: ${p}`),
      targets: [c.id, ...(c.name ? [c.name] : [])],
      domain: c.domain,
      location: { file: doc.file },
    },
  ]
}
