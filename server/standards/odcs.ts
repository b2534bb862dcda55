import type { ProductStandardFacts } from '../../db/queries/export.ts'
import { purposeOf, teamOf } from './team.ts'
import type { EffectiveSla } from '../quality/sla.ts'
import { serverOf, type OdcsServer } from './servers.ts'
import { logicalTypeOf } from './types.ts'

/*
 * An ODCS v3.1.0 data contract generated from what meshwatch observes of a product that has none
 * yet: its output datasets (schema, dbt tests) bound back by their servers, its domain and owners,
 * and the SLA values a declaration set (not the built-in defaults). Status `draft`: a proposal
 * for the domain to adopt, not a promise anyone made.
 * Spec: https://bitol-io.github.io/open-data-contract-standard/v3.1.0/
 */

export const ODCS_API_VERSION = 'v3.1.0'

/** The id of the contract meshwatch generates for a product (ODPS output ports name it). */
export const generatedContractId = (productId: string): string =>
  `urn:meshwatch:product:${productId}`

type Doc = Record<string, unknown>
type Output = ProductStandardFacts['outputs'][number]
type Check = Output['checks'][number]

const lastPart = (name: string): string => name.split(/[./]/).filter(Boolean).at(-1) ?? name

/** One server per distinct connection, in the outputs' order. */
function serversOf(outputs: Output[]): { servers: OdcsServer[]; tables: string[] } {
  const servers: OdcsServer[] = []
  const keys: string[] = []
  const tables = outputs.map((d) => {
    const { server, physicalName } = serverOf(d.namespace, d.name, '')
    const { server: _, ...conn } = server
    const key = JSON.stringify(conn)
    if (!keys.includes(key)) {
      keys.push(key)
      servers.push(server)
    }
    return physicalName
  })
  const only = servers.length === 1
  servers.forEach((s, i) => (s.server = only ? 'observed' : `observed-${i + 1}`))
  return { servers, tables }
}

const physicalTypeOf = (d: Output): string =>
  d.namespace.startsWith('kafka://') ? 'topic' : d.namespace.startsWith('s3://') ? 'file' : 'table'

function qualityOf(c: Check): Doc {
  const base = { name: c.name, severity: c.severity }
  if (c.kind === 'not_null')
    return { ...base, type: 'library', metric: 'nullValues', mustBe: 0, dimension: 'completeness' }
  if (c.kind === 'unique')
    return {
      ...base,
      type: 'library',
      metric: 'duplicateValues',
      mustBe: 0,
      dimension: 'uniqueness',
    }
  return {
    ...base,
    type: 'custom',
    engine: c.origin === 'dbt' ? 'dbt' : c.origin,
    implementation: c.kind,
    description: `${c.origin} ${c.kind} test ${c.name}`,
  }
}

function propertiesOf(d: Output): Doc[] {
  return (d.columns ?? []).map((col) => {
    const checks = d.checks.filter((c) => c.column?.toLowerCase() === col.name.toLowerCase())
    const has = (k: string) => checks.some((c) => c.kind === k) || col.constraints?.includes(k)
    const logical = logicalTypeOf(col.type)
    const quality = checks.map(qualityOf)
    return {
      name: col.name,
      ...(logical ? { logicalType: logical } : {}),
      ...(col.type ? { physicalType: col.type } : {}),
      ...(col.description ? { description: col.description.trim() } : {}),
      ...(col.constraints?.includes('primary_key') ? { primaryKey: true } : {}),
      ...(has('not_null') || col.constraints?.includes('primary_key') ? { required: true } : {}),
      ...(has('unique') ? { unique: true } : {}),
      ...(quality.length > 0 ? { quality } : {}),
    }
  })
}

/** The SLA values some declaration set, as ODCS `slaProperties` (meshwatch's units: hours, rates). */
function slaPropertiesOf(sla: EffectiveSla | undefined): Doc[] {
  if (!sla) return []
  const out: Doc[] = []
  const f = sla.freshness
  if (f.max_age_hours !== undefined && sla.sources.freshness.max_age_hours !== 'default')
    out.push({ property: 'latency', value: f.max_age_hours, unit: 'h' })
  const r = sla.reliability
  if (sla.sources.reliability.min_success_rate !== 'default')
    out.push({
      property: 'errorRate',
      value: Math.round((1 - r.min_success_rate) * 1e6) / 1e4,
      unit: 'percent',
      description: `at most this share of the producing runs fail over ${r.window_days} days`,
    })
  return out
}

/** Object-level quality: a declared row-count floor, and the tests on no column. */
function objectQualityOf(d: Output, sla: EffectiveSla | undefined): Doc[] {
  const out = d.checks.filter((c) => !c.column).map(qualityOf)
  const min = sla?.volume.min_rows
  if (min !== undefined && sla?.sources.volume.min_rows !== 'default')
    out.push({ type: 'library', metric: 'rowCount', mustBeGreaterOrEqualTo: min })
  return out
}

/** The declared (non-default) SLA values, kept whole so nothing meshwatch knows is lost. */
function declaredSla(sla: EffectiveSla | undefined): Doc | undefined {
  if (!sla || sla.declared.length === 0) return undefined
  const out: Doc = {}
  for (const dim of sla.declared) {
    const sources: Record<string, string | undefined> = sla.sources[dim]
    const values: Record<string, unknown> = sla[dim]
    const own = Object.fromEntries(
      Object.entries(values).filter(([k, v]) => v !== undefined && sources[k] !== 'default'),
    )
    if (Object.keys(own).length > 0) out[dim] = own
  }
  return Object.keys(out).length > 0 ? out : undefined
}

/** The ODCS v3.1.0 contract meshwatch proposes for a product. */
export function generateOdcs(facts: ProductStandardFacts, sla?: EffectiveSla): Doc {
  const { product, outputs } = facts
  const { servers, tables } = serversOf(outputs)
  const slaProperties = slaPropertiesOf(sla)
  const meshSla = declaredSla(sla)
  return {
    apiVersion: ODCS_API_VERSION,
    kind: 'DataContract',
    id: generatedContractId(product.id),
    name: product.name,
    version: '1.0.0',
    status: 'draft',
    domain: product.domain,
    dataProduct: product.id,
    ...purposeOf(facts),
    ...(servers.length > 0 ? { servers } : {}),
    schema: outputs.map((d, i) => {
      const quality = objectQualityOf(d, sla)
      return {
        name: lastPart(tables[i] ?? d.name),
        physicalName: tables[i] ?? d.name,
        logicalType: 'object',
        physicalType: physicalTypeOf(d),
        ...(d.description ? { description: d.description.trim() } : {}),
        properties: propertiesOf(d),
        ...(quality.length > 0 ? { quality } : {}),
      }
    }),
    ...teamOf(facts),
    ...(slaProperties.length > 0 ? { slaProperties } : {}),
    customProperties: [
      { property: 'meshwatchProductId', value: product.id },
      { property: 'meshwatchOrigin', value: product.origin },
      ...(meshSla ? [{ property: 'meshwatchSla', value: meshSla }] : []),
    ],
  }
}
