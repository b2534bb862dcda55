import type { Odcs } from '../../collectors/contracts/schema.ts'
import {
  checked,
  notMeasurable,
  notYet,
  type CheckContext,
  type ContractCheck,
} from './contract-check.ts'
import type { ContractAssertionFact, ContractObjectFacts } from './facts.ts'

type Rule = NonNullable<NonNullable<Odcs['schema']>[number]['quality']>[number]

/** The dbt tests (and assertions of the same name) that measure each library metric on a column. */
const TESTS_OF: Record<string, RegExp> = {
  nullValues: /(^|\.|_)not_null/,
  missingValues: /(^|\.|_)not_null/,
  duplicateValues: /(^|\.|_)unique/,
  invalidValues: /(^|\.|_)(accepted_values|relationships|expect_column_values_to_be_in_set)/,
}

/**
 * Every quality rule of the contract (on schema objects and their properties): library metrics
 * compared with the dbt tests / assertions that measure them, `sql` and `custom` rules with the
 * result of a test or assertion of the same name, `text` rules listed as declared.
 */
export function checkQuality(ctx: CheckContext): ContractCheck[] {
  const out: ContractCheck[] = []
  for (const o of ctx.contract.schema ?? []) {
    const facts = ctx.facts.objects.find((f) => f.object === o.name)
    for (const q of o.quality ?? []) out.push(checkRule(ctx, q, o.name, undefined, facts))
    for (const prop of o.properties ?? [])
      for (const q of prop.quality ?? []) out.push(checkRule(ctx, q, o.name, prop.name, facts))
  }
  return out
}

/** The operator of a rule as written (`mustBe 0`), and whether a measured value satisfies it. */
export function operatorOf(q: Rule): { text: string; test: (v: number) => boolean } | undefined {
  const ops: [string, unknown, (v: number, x: number) => boolean][] = [
    ['mustBe', q.mustBe, (v, x) => v === x],
    ['mustNotBe', q.mustNotBe, (v, x) => v !== x],
    ['mustBeGreaterThan', q.mustBeGreaterThan, (v, x) => v > x],
    ['mustBeGreaterOrEqualTo', q.mustBeGreaterOrEqualTo, (v, x) => v >= x],
    ['mustBeGreaterThanOrEqualTo', q.mustBeGreaterThanOrEqualTo, (v, x) => v >= x],
    ['mustBeLessThan', q.mustBeLessThan, (v, x) => v < x],
    ['mustBeLessOrEqualTo', q.mustBeLessOrEqualTo, (v, x) => v <= x],
    ['mustBeLessThanOrEqualTo', q.mustBeLessThanOrEqualTo, (v, x) => v <= x],
  ]
  for (const [name, x, f] of ops)
    if (typeof x === 'number') return { text: `${name} ${x}`, test: (v) => f(v, x) }
  const between = q.mustBeBetween
  if (between && between.length === 2) {
    const [lo = 0, hi = 0] = between
    return { text: `mustBeBetween [${lo}, ${hi}]`, test: (v) => v >= lo && v <= hi }
  }
  const outside = q.mustNotBeBetween
  if (outside && outside.length === 2) {
    const [lo = 0, hi = 0] = outside
    return { text: `mustNotBeBetween [${lo}, ${hi}]`, test: (v) => v < lo || v > hi }
  }
  return undefined
}

const severityOf = (q: Rule): 'warn' | 'breach' =>
  /^(warn|warning|info)$/i.test(q.severity ?? '') ? 'warn' : 'breach'

function checkRule(
  ctx: CheckContext,
  q: Rule,
  object: string,
  column: string | undefined,
  facts: ContractObjectFacts | undefined,
): ContractCheck {
  const where = column ? `${object}.${column}` : object
  const type = (q.type ?? 'library').toLowerCase()
  const metric = q.metric ?? q.rule
  const op = operatorOf(q)
  const label = q.name ?? q.id
  const name =
    type === 'library' ? `${metric ?? 'library rule'} on ${where}` : `${type} ${label ?? where}`
  const promised =
    type === 'text'
      ? (q.description ?? 'text')
      : `${op?.text ?? (type === 'library' ? 'mustBe 0' : 'passes')}${q.unit ? ` ${q.unit}` : ''}`
  const base = { kind: 'quality' as const, name, promised, dimension: null }
  if (type === 'text')
    return notMeasurable(base, 'a text rule is for people: shown as the contract declares it')
  if (!facts || facts.datasetId === null)
    return notMeasurable(base, `${object} is unbound (${facts?.reason ?? 'no dataset'})`)
  if (type === 'library') {
    if (metric === 'rowCount') return rowCount(ctx, q, base, facts, op)
    const pattern = metric === undefined ? undefined : TESTS_OF[metric]
    if (!pattern) return notMeasurable(base, `unknown library metric ${String(metric)}`)
    if (!column)
      return notMeasurable(
        base,
        `${metric} on a whole object names its columns in arguments, which no collected test reports`,
      )
    const test = facts.assertions.find(
      (a) => a.column?.toLowerCase() === column.toLowerCase() && pattern.test(a.name),
    )
    const nulls =
      metric === 'nullValues'
        ? facts.columnMetrics.find(
            (m) => m.metric === 'nullCount' && m.column.toLowerCase() === column.toLowerCase(),
          )
        : undefined
    if (!test && nulls) {
      // no test reports it: the collector's null count (OpenLineage dataQualityMetrics)
      const rule = op ?? { text: 'mustBe 0', test: (v: number) => v === 0 }
      return checked(
        base,
        rule.test(nulls.value) ? 'ok' : severityOf(q),
        `${nulls.value}`,
        `${facts.datasetName ?? where}: ${nulls.value} null values of ${column} observed at ${nulls.observedAt} (dataQualityMetrics), promised ${rule.text}`,
      )
    }
    if (!test)
      return notMeasurable(
        base,
        `no dbt test or assertion on ${facts.datasetName ?? where} measures ${metric} of ${column} (a ${pattern.source.replace(/\W+/g, ' ').trim().split(' ').at(-1)} test would)`,
      )
    return fromTest(q, base, test, op, `${metric} of ${column}`)
  }
  if (!label)
    return notMeasurable(base, `a ${type} rule without a name cannot be matched to a test`)
  const test = facts.assertions.find(
    (a) => a.name === label || a.key.endsWith(`.${label}`) || a.key.endsWith(`:${label}`),
  )
  if (!test)
    return notYet(
      base,
      `no dbt test or assertion named ${label} reported on ${facts.datasetName ?? where}`,
    )
  return fromTest(q, base, test, op, label)
}

function fromTest(
  q: Rule,
  base: Pick<ContractCheck, 'kind' | 'name' | 'promised' | 'dimension'>,
  test: ContractAssertionFact,
  op: ReturnType<typeof operatorOf>,
  what: string,
): ContractCheck {
  const passed = test.status === 'pass'
  const failures = passed ? 0 : test.failures
  const by = `${test.name} (${test.status} at ${test.observedAt})`
  if (q.unit && /percent|%/.test(q.unit) && failures !== 0)
    return checked(
      base,
      severityOf(q),
      `${failures ?? 'some'} rows`,
      `${by}: ${failures ?? 'some'} failing rows; the share of rows is not known (no row count), so a percentage promise counts as missed`,
    )
  if (failures === null || failures === undefined)
    return checked(base, passed ? 'ok' : severityOf(q), test.status, `${by}: ${what}`)
  const test2 = op ?? { text: 'mustBe 0', test: (v: number) => v === 0 }
  const ok = q.type === 'library' || op ? test2.test(failures) : passed
  return checked(
    base,
    ok ? 'ok' : severityOf(q),
    `${failures}`,
    `${by}: ${what} = ${failures}, promised ${test2.text}`,
  )
}

function rowCount(
  ctx: CheckContext,
  q: Rule,
  base: Pick<ContractCheck, 'kind' | 'name' | 'promised' | 'dimension'>,
  facts: ContractObjectFacts,
  op: ReturnType<typeof operatorOf>,
): ContractCheck {
  const out = facts.datasetId === null ? undefined : ctx.outputs.get(facts.datasetId)
  const last = out?.volume.at(-1)
  const b = { ...base, dimension: 'volume' as const }
  if (!out) return notMeasurable(base, `${facts.datasetName} is not an output of the product`)
  if (!last) return notYet(b, `no row count of ${out.name} observed`)
  const ok = op ? op.test(last.value) : last.value > 0
  return checked(
    b,
    ok ? 'ok' : severityOf(q),
    `${last.value} rows`,
    `${out.name} had ${last.value} rows at ${last.observedAt}, promised ${op?.text ?? 'rows'}`,
  )
}
