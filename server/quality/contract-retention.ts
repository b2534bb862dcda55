import type { Odcs } from '../../collectors/contracts/schema.ts'
import { formatDuration } from '../../common/format.ts'
import { checked, notMeasurable, type CheckContext, type ContractCheck } from './contract-check.ts'
import { durationMs, promiseText, timeOfMinimum } from './contract-units.ts'

type SlaProperty = NonNullable<Odcs['slaProperties']>[number]

/**
 * retention: data is kept at least `value unit`. Checked against the oldest value observed of the
 * `element` column (`orders.ordered_at`: an OpenLineage dataQualityMetrics columnMetrics min, as a
 * date key or epoch time): history shorter than promised is a warning (rows were purged early, or
 * the table is younger than the promise). Not measurable when no oldest value is observed.
 */
export function checkRetention(
  ctx: CheckContext,
  p: SlaProperty,
  element: string | undefined,
): ContractCheck {
  const base = { kind: 'sla' as const, name: p.property, promised: promiseText(p.value, p.unit) }
  const ms = durationMs(p.value, p.unit)
  if (ms === undefined)
    return notMeasurable(base, `value ${base.promised} is not a duration meshwatch reads`)
  const [objectName, column] = (element?.split(',')[0]?.trim() ?? '').split('.')
  if (!objectName || !column)
    return notMeasurable(
      base,
      `no element names the date or time column (object.column) whose oldest value would show how long data is kept`,
    )
  const object = ctx.facts.objects.find((o) => o.object.toLowerCase() === objectName.toLowerCase())
  if (!object || object.datasetId === null)
    return notMeasurable(
      base,
      `${objectName} is unbound (${object?.reason ?? 'no schema object of that name'})`,
    )
  const where = `${object.datasetName ?? objectName}.${column}`
  const min = object.columnMetrics.find(
    (m) => m.metric === 'min' && m.column.toLowerCase() === column.toLowerCase(),
  )
  if (!min)
    return notMeasurable(
      base,
      `meshwatch observes no oldest row or partition of ${where} (no collector reported its minimum, as an OpenLineage dataQualityMetrics facet with columnMetrics.${column}.min would), so it cannot tell how long data is kept`,
    )
  const oldest = timeOfMinimum(min.value)
  if (!oldest)
    return notMeasurable(
      base,
      `the observed minimum of ${where} (${min.value}) is not a date or time meshwatch reads (yyyymmdd, epoch seconds or milliseconds)`,
    )
  const kept = ctx.now.getTime() - oldest.getTime()
  const measured = `oldest ${oldest.toISOString().slice(0, 10)} (${formatDuration(Math.max(0, kept))} kept)`
  const dims = { ...base, dimension: null }
  return kept >= ms
    ? checked(
        dims,
        'ok',
        measured,
        `the oldest value of ${where} observed at ${min.observedAt} is ${oldest.toISOString()}: ${formatDuration(kept)} of data kept, at least the promised ${formatDuration(ms)}`,
      )
    : checked(
        dims,
        'warn',
        measured,
        `the oldest value of ${where} observed at ${min.observedAt} is ${oldest.toISOString()}: only ${formatDuration(Math.max(0, kept))} of data, less than the promised ${formatDuration(ms)} (rows purged early, or a table younger than its promise; ${ctx.label})`,
      )
}
