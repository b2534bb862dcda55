import { describe, expect, it } from 'vitest'
import { hashDocument } from '../../../collectors/contracts/read.ts'
import type {
  ColumnMetricFact,
  ContractAssertionFact,
  EpisodeFact,
} from '../../../db/queries/quality-facts.ts'
import { scoreContracts } from '../../../server/quality/contract-score.ts'
import type { OutputFacts } from '../../../server/quality/facts.ts'
import { dag, hoursAgo, NOW, output, product, run, sla } from '../quality/helpers.ts'

// Each promise of an ODCS contract measured against facts the loaders return (pure: the checks of
// server/quality/contract-*.ts through scoreContracts), one row per behaviour issue 17 names.

const PROPERTIES = [
  { name: 'order_id', physicalType: 'integer', required: true },
  { name: 'amount_eur', physicalType: 'decimal(12,2)' },
]

interface Case {
  name: string
  doc: Record<string, unknown>
  out?: Partial<OutputFacts>
  assertions?: ContractAssertionFact[]
  columns?: { name: string; type?: string }[]
  episodes?: EpisodeFact[]
  columnMetrics?: ColumnMetricFact[]
  check: string
  want: { status: string; measurable?: boolean }
  reason: RegExp
}

function contract(doc: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'v3.1.0',
    kind: 'DataContract',
    id: 'urn:test:orders',
    version: '1.0.0',
    status: 'active',
    schema: [{ name: 'orders', properties: PROPERTIES }],
    ...doc,
  }
}

function checksOf(c: Case) {
  const document = contract(c.doc)
  const p = product([output(c.out)])
  p.contracts = [
    {
      contractId: 'urn:test:orders',
      version: '1.0.0',
      status: 'active',
      contentHash: hashDocument(document),
      sourceFile: 'orders.odcs.yaml',
      document,
      objects: [
        {
          object: 'orders',
          datasetId: 1,
          datasetName: 'mesh.sales.orders',
          columns: c.columns ?? [
            { name: 'order_id', type: 'integer' },
            { name: 'amount_eur', type: 'decimal(12,2)' },
          ],
          columnsObservedAt: hoursAgo(1),
          assertions: c.assertions ?? [],
          columnMetrics: c.columnMetrics ?? [],
        },
      ],
      episodes: c.episodes ?? [],
    },
  ]
  return scoreContracts(p, sla(), NOW)[0]?.checks ?? []
}

const sla1 = (p: Record<string, unknown>) => ({ slaProperties: [p] })
const onObject = (quality: unknown[]) => ({
  schema: [{ name: 'orders', properties: PROPERTIES, quality }],
})
const onOrderId = (quality: unknown[]) => ({
  schema: [{ name: 'orders', properties: [{ ...PROPERTIES[0], quality }, PROPERTIES[1]] }],
})
const runs = (ok: number, failed: number) => [
  ...Array.from({ length: ok }, (_, i) => run('COMPLETE', 2 + i)),
  ...Array.from({ length: failed }, (_, i) => run('FAIL', 3 + ok + i)),
]
const test = (
  name: string,
  status: string,
  column: string | null,
  failures: number | null = null,
): ContractAssertionFact => ({
  key: `test.${name}`,
  name,
  status,
  severity: 'error',
  observedAt: hoursAgo(1),
  column,
  failures,
})
const episode = (over: Partial<EpisodeFact>): EpisodeFact => ({
  openedAt: hoursAgo(2),
  closedAt: null,
  startedAt: null,
  notifiedAt: null,
  ...over,
})

const CASES: Case[] = [
  {
    name: 'frequency 1 d: an hourly DAG written 2 h ago is on its cycle',
    doc: sla1({ property: 'frequency', value: 1, unit: 'd' }),
    out: { dags: [dag({ cron: '0 * * * *' }, 2)], runs: [run('COMPLETE', 2)] },
    check: 'frequency',
    want: { status: 'ok' },
    reason: /on its promised 24 h cycle/,
  },
  {
    name: 'frequency 1 h: a daily DAG cannot keep it (schedule-aware)',
    doc: sla1({ property: 'frequency', value: 1, unit: 'h' }),
    out: { dags: [dag({ cron: '0 6 * * *' }, 2)], runs: [run('COMPLETE', 2)] },
    check: 'frequency',
    want: { status: 'warn' },
    reason: /runs every 24 h, less often than the promised 1 h/,
  },
  {
    name: 'frequency 1 d: last written 30 h ago misses it',
    doc: sla1({ property: 'frequency', value: 1, unit: 'd' }),
    out: { runs: [run('COMPLETE', 30)] },
    check: 'frequency',
    want: { status: 'breach' },
    reason: /misses its promised update every 24 h/,
  },
  {
    name: 'frequency: a paused DAG is never late',
    doc: sla1({ property: 'frequency', value: 1, unit: 'd' }),
    out: { dags: [dag({ cron: '0 6 * * *', paused: true }, 300)], runs: [run('COMPLETE', 300)] },
    check: 'frequency',
    want: { status: 'ok' },
    reason: /is paused/,
  },
  {
    name: 'latency 4 h: written 6 h ago breaches',
    doc: sla1({ property: 'latency', value: 4, unit: 'h' }),
    out: { runs: [run('COMPLETE', 6)] },
    check: 'latency',
    want: { status: 'breach' },
    reason: /later than the promised 4 h/,
  },
  {
    name: 'timeOfAvailability 09:00 Europe/Berlin: written at 07:00 UTC today is on time',
    doc: sla1({ property: 'timeOfAvailability', value: '09:00', valueExt: 'Europe/Berlin' }),
    out: { runs: [run('COMPLETE', 5)] },
    check: 'timeOfAvailability',
    want: { status: 'ok' },
    reason: /before the deadline 2026-11-25T08:00:00.000Z/,
  },
  {
    name: 'timeOfAvailability 09:00-08:00 (regulatory): nothing written that day breaches',
    doc: sla1({ property: 'timeOfAvailability', value: '09:00-08:00', driver: 'regulatory' }),
    out: { runs: [run('COMPLETE', 40)] },
    check: 'timeOfAvailability',
    want: { status: 'breach' },
    reason: /no successful write between .* and the deadline .*driver regulatory/,
  },
  {
    name: 'timeOfAvailability with driver analytics: a miss warns',
    doc: sla1({ property: 'timeOfAvailability', value: '09:00', driver: 'analytics' }),
    out: { runs: [run('COMPLETE', 40)] },
    check: 'timeOfAvailability',
    want: { status: 'warn' },
    reason: /driver analytics/,
  },
  {
    name: 'errorRate 5 %: 1 failed run of 10 breaches',
    doc: sla1({ property: 'errorRate', value: 5, unit: 'percent' }),
    out: { runs: runs(9, 1) },
    check: 'errorRate',
    want: { status: 'breach' },
    reason: /9 of 10 producing runs succeeded .*10% errors; promised at most 5%/,
  },
  {
    name: 'availability 85 %: 9 of 10 runs succeeded keeps it',
    doc: sla1({ property: 'availability', value: 85, unit: 'percent' }),
    out: { runs: runs(9, 1) },
    check: 'availability',
    want: { status: 'ok' },
    reason: /90% succeeded; promised at least 85%/,
  },
  {
    name: 'timeToDetect 1 h: detected 2 h after the problem started upstream warns',
    doc: sla1({ property: 'timeToDetect', value: 1, unit: 'h' }),
    episodes: [episode({ startedAt: hoursAgo(4), openedAt: hoursAgo(2) })],
    check: 'timeToDetect',
    want: { status: 'warn' },
    reason: /detected in 2 h .* over the promised 1 h/,
  },
  {
    name: 'timeToNotify 30 min: alert delivered 10 min after the start',
    doc: sla1({ property: 'timeToNotify', value: 30, unit: 'min' }),
    episodes: [
      episode({ startedAt: hoursAgo(2), openedAt: hoursAgo(2), notifiedAt: hoursAgo(1.84) }),
    ],
    check: 'timeToNotify',
    want: { status: 'ok' },
    reason: /notified in 9 min|notified in 10 min/,
  },
  {
    name: 'timeToNotify 30 min: an open breach with no delivered alert after 2 h breaches',
    doc: sla1({ property: 'timeToNotify', value: 30, unit: 'min' }),
    episodes: [episode({ openedAt: hoursAgo(2) })],
    check: 'timeToNotify',
    want: { status: 'breach' },
    reason: /has no delivered alert 2 h after/,
  },
  {
    name: 'an ODCS property meshwatch does not measure is listed, never dropped',
    doc: sla1({ property: 'endOfLife', value: '2042-05-12T09:30:10-08:00' }),
    check: 'endOfLife',
    want: { status: 'unknown', measurable: false },
    reason: /^not measurable: endOfLife is not a property meshwatch measures/,
  },
  {
    name: 'library nullValues mustBe 0: a not_null assertion with 2 failing rows breaches',
    doc: onOrderId([{ type: 'library', metric: 'nullValues', mustBe: 0 }]),
    assertions: [test('not_null', 'fail', 'order_id', 2)],
    check: 'nullValues on orders.order_id',
    want: { status: 'breach' },
    reason: /nullValues of order_id = 2, promised mustBe 0/,
  },
  {
    name: 'library nullValues mustBe 0 with no test: an OpenLineage null count of 3 breaches',
    doc: onOrderId([{ type: 'library', metric: 'nullValues', mustBe: 0 }]),
    columnMetrics: [{ column: 'order_id', metric: 'nullCount', value: 3, observedAt: hoursAgo(1) }],
    check: 'nullValues on orders.order_id',
    want: { status: 'breach' },
    reason: /3 null values of order_id observed at .* \(dataQualityMetrics\), promised mustBe 0/,
  },
  {
    name: 'library duplicateValues mustBeLessThan 5: a unique test with 3 duplicates keeps it',
    doc: onOrderId([{ type: 'library', metric: 'duplicateValues', mustBeLessThan: 5 }]),
    assertions: [test('unique_orders_order_id', 'fail', 'order_id', 3)],
    check: 'duplicateValues on orders.order_id',
    want: { status: 'ok' },
    reason: /duplicateValues of order_id = 3, promised mustBeLessThan 5/,
  },
  {
    name: 'a sql rule shows the result of the test of the same name',
    doc: onObject([
      {
        type: 'sql',
        name: 'amount_positive',
        query: 'select count(*) from orders where amount_eur < 0',
        mustBe: 0,
      },
    ]),
    assertions: [test('amount_positive', 'fail', null, 4)],
    check: 'sql amount_positive',
    want: { status: 'breach' },
    reason: /amount_positive \(fail at .*\): amount_positive = 4, promised mustBe 0/,
  },
  {
    name: 'a custom rule with no test of its name reported is not measured yet',
    doc: onObject([
      { type: 'custom', name: 'gx_check', engine: 'greatExpectations', implementation: 'x' },
    ]),
    check: 'custom gx_check',
    want: { status: 'unknown', measurable: true },
    reason: /no dbt test or assertion named gx_check reported/,
  },
  {
    name: 'a text rule is shown as declared',
    doc: onObject([{ type: 'text', description: 'Amounts are in EUR.' }]),
    check: 'text orders',
    want: { status: 'unknown', measurable: false },
    reason: /shown as the contract declares it/,
  },
  {
    name: 'schema: a required column observed with nulls breaches, naming the contract version',
    doc: {},
    assertions: [test('not_null', 'fail', 'order_id', 1)],
    check: 'column orders.order_id',
    want: { status: 'breach' },
    reason: /required, but not_null fail/,
  },
  {
    name: 'schema: a narrowed type breaches (on_breaking), naming the contract version',
    doc: {},
    assertions: [test('not_null', 'pass', 'order_id')],
    columns: [
      { name: 'order_id', type: 'integer' },
      { name: 'amount_eur', type: 'decimal(10,2)' },
    ],
    check: 'column orders.amount_eur',
    want: { status: 'breach' },
    reason:
      /type narrowed: contract urn:test:orders v1\.0\.0 promises decimal\(12,2\), observed decimal\(10,2\)/,
  },
  {
    name: 'schema: a promised column missing breaches',
    doc: {},
    assertions: [test('not_null', 'pass', 'order_id')],
    columns: [{ name: 'order_id', type: 'integer' }],
    check: 'column orders.amount_eur',
    want: { status: 'breach' },
    reason:
      /promises column amount_eur on mesh\.sales\.orders; the schema observed at .* has no such column/,
  },
]

describe('contract checks (issue 17, one per promise kind)', () => {
  it.each(CASES)('$name', (c) => {
    const check = checksOf(c).find((k) => k.name === c.check)
    expect(check).toMatchObject(c.want)
    expect(check?.reason).toMatch(c.reason)
  })
})
