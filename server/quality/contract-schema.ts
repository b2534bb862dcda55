import {
  checked,
  notMeasurable,
  notYet,
  type CheckContext,
  type ContractCheck,
} from './contract-check.ts'
import type { EffectiveSla } from './sla.ts'

const INT_RANK: Record<string, number> = {
  tinyint: 1,
  int1: 1,
  smallint: 2,
  int2: 2,
  integer: 3,
  int: 3,
  int4: 3,
  bigint: 4,
  int8: 4,
  long: 4,
  hugeint: 5,
}
const FLOAT = /^(float|float4|float8|real|double|double precision)$/
const STRING = /^(varchar|char|character varying|character|text|string|nvarchar|nchar)$/

interface Parsed {
  base: string
  args: number[]
}
function parse(t: string): Parsed {
  const m = /^\s*([a-z ]+?)\s*(?:\(([\d\s,]+)\))?\s*$/i.exec(t)
  const base = (m?.[1] ?? t).toLowerCase().trim()
  const args = (m?.[2] ?? '')
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((x) => Number.isFinite(x) && x > 0)
  return { base: base === 'numeric' ? 'decimal' : base, args }
}

/**
 * How an observed physical type relates to the promised one: the same, widened (every promised
 * value still fits), narrowed (some may not: a shorter varchar, fewer decimal digits, a smaller
 * integer, float → integer, timestamp → date), or changed to another kind.
 */
export function compareTypes(
  promised: string,
  observed: string,
): 'same' | 'widened' | 'narrowed' | 'changed' {
  const p = parse(promised)
  const o = parse(observed)
  if (p.base === o.base && p.args.join() === o.args.join()) return 'same'
  const pi = INT_RANK[p.base]
  const oi = INT_RANK[o.base]
  if (pi !== undefined && oi !== undefined) return oi >= pi ? 'widened' : 'narrowed'
  if (STRING.test(p.base) && STRING.test(o.base)) {
    const [pl] = p.args
    const [ol] = o.args
    if (ol === undefined) return 'widened'
    return pl === undefined || ol < pl ? 'narrowed' : 'widened'
  }
  if (p.base === 'decimal' && o.base === 'decimal') {
    const [pp = 18, ps = 0] = p.args
    const [op = 18, os = 0] = o.args
    return op - os >= pp - ps && os >= ps ? 'widened' : 'narrowed'
  }
  if (pi !== undefined && (o.base === 'decimal' || FLOAT.test(o.base))) return 'widened'
  if ((p.base === 'decimal' || FLOAT.test(p.base)) && oi !== undefined) return 'narrowed'
  if (FLOAT.test(p.base) && FLOAT.test(o.base))
    return /double|float8/.test(o.base) ? 'widened' : 'narrowed'
  if (p.base.startsWith('timestamp') && o.base === 'date') return 'narrowed'
  if (p.base === 'date' && o.base.startsWith('timestamp')) return 'widened'
  if (p.base.startsWith('timestamp') && o.base.startsWith('timestamp')) return 'same'
  return 'changed'
}

/**
 * schema[] against the newest observed schema of each bound dataset: a promised column missing,
 * a type narrowed or changed (sla.schema.on_breaking), a `required` column observed with nulls
 * (a failing not_null test: breach) or not guaranteed (no not_null test: warn). Each names the
 * contract version that promised it.
 */
export function checkSchema(ctx: CheckContext, sla: EffectiveSla): ContractCheck[] {
  const out: ContractCheck[] = []
  for (const o of ctx.contract.schema ?? []) {
    const facts = ctx.facts.objects.find((f) => f.object === o.name)
    for (const prop of o.properties ?? []) {
      const name = `column ${o.name}.${prop.name}`
      const promised = [prop.physicalType ?? prop.logicalType, prop.required ? 'required' : '']
        .filter(Boolean)
        .join(', ')
      const base = {
        kind: 'schema' as const,
        name,
        promised: promised || 'present',
        dimension: 'schema' as const,
      }
      if (!facts || facts.datasetId === null) {
        out.push(notMeasurable(base, `${o.name} is unbound (${facts?.reason ?? 'no dataset'})`))
        continue
      }
      if (facts.columns === null) {
        out.push(notYet(base, `no schema of ${facts.datasetName} observed`))
        continue
      }
      const col = facts.columns.find((c) => c.name.toLowerCase() === prop.name.toLowerCase())
      const ds = facts.datasetName ?? o.name
      const at = facts.columnsObservedAt ?? 'the newest schema'
      if (!col) {
        out.push(
          checked(
            base,
            sla.schema.on_breaking,
            'missing',
            `${ctx.label} promises column ${prop.name} on ${ds}; the schema observed at ${at} has no such column`,
          ),
        )
        continue
      }
      const problems: { status: 'warn' | 'breach'; text: string }[] = []
      const promisedType = prop.physicalType
      if (promisedType && col.type) {
        const rel = compareTypes(promisedType, col.type)
        if (rel === 'narrowed' || rel === 'changed')
          problems.push({
            status: sla.schema.on_breaking,
            text: `type ${rel === 'narrowed' ? 'narrowed' : 'changed'}: ${ctx.label} promises ${promisedType}, observed ${col.type} at ${at}`,
          })
      }
      if (prop.required) {
        const notNull = facts.assertions.find(
          (a) => a.column?.toLowerCase() === prop.name.toLowerCase() && /not_null/.test(a.name),
        )
        if (notNull && notNull.status !== 'pass')
          problems.push({
            status: 'breach',
            text: `required, but ${notNull.name} ${notNull.status} at ${notNull.observedAt}${notNull.failures ? ` (${notNull.failures} null rows)` : ''}`,
          })
        else if (!notNull)
          problems.push({
            status: 'warn',
            text: `required by ${ctx.label}, but nothing observed guarantees it is not null (no not_null test on ${ds})`,
          })
      }
      const worst = problems.find((p) => p.status === 'breach') ?? problems[0]
      out.push(
        worst
          ? checked(
              base,
              worst.status,
              col.type ?? 'present',
              `${prop.name} on ${ds}: ${problems.map((p) => p.text).join('; ')}`,
            )
          : checked(base, 'ok', col.type ?? 'present', `${prop.name} on ${ds} as promised`),
      )
    }
  }
  return out
}
