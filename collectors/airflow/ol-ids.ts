import { createHash } from 'node:crypto'

/*
 * The run ids the Airflow OpenLineage provider (apache-airflow-providers-openlineage ≥ 2.x, with
 * openlineage-python's generate_static_uuid) gives a DAG run and a task instance try. A run
 * collected over the REST API under the same id is the same run row as the provider's events.
 *
 * generate_static_uuid(instant, data): a UUIDv7 whose 48-bit timestamp is the instant in ms and
 * whose other bits are the top 76 bits of sha1(instant_utc.isoformat() + data). Reproduced from
 * openlineage/client/uuid.py and airflow/providers/openlineage/utils/utils.py; checked against ids
 * recorded from the real libraries (fixtures/airflow/ol-ids).
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?$/i

/** An ISO-8601 date-time as Python sees it: UTC, whole microseconds. Undefined if unreadable. */
function pythonInstant(iso: string): { micros: number; isoformat: string } | undefined {
  const m = ISO.exec(iso.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m
  const us = Number(frac.slice(0, 6).padEnd(6, '0'))
  let offsetMin = 0
  if (zone.toUpperCase() !== 'Z') {
    const z = zone.replace(':', '')
    offsetMin = (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)))
  }
  const ms =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) -
    offsetMin * 60_000
  if (Number.isNaN(ms)) return undefined
  const micros = ms * 1000 + us
  // datetime.isoformat() of an aware UTC datetime: microseconds only when there are some.
  const base = new Date(ms).toISOString().slice(0, 19)
  const isoformat = `${base}${us === 0 ? '' : `.${String(us).padStart(6, '0')}`}+00:00`
  return { micros, isoformat }
}

/** openlineage-python's generate_static_uuid, or undefined when the instant cannot be read. */
export function staticUuid(instant: string, data: string): string | undefined {
  const t = pythonInstant(instant)
  if (!t) return undefined
  // int(instant_utc.timestamp() * 1000): the same float operations as Python's.
  const timestampMs = BigInt(Math.trunc((t.micros / 1e6) * 1000))
  const digest = createHash('sha1')
    .update(t.isoformat + data, 'utf8')
    .digest('hex')
  const node = BigInt(`0x${digest}`) >> 84n
  let u = ((timestampMs & 0xffffffffffffn) << 80n) | (node & 0xfffffffffffffffffffffn)
  u = (u & ~(0xf000n << 64n)) | (7n << 76n)
  u = (u & ~(0xc000n << 48n)) | (0x8000n << 48n)
  const hex = u.toString(16).padStart(32, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** build_dag_run_ol_run_id: `date` is the run's logical date, else (Airflow 3) its run_after. */
export const dagRunOlId = (o: {
  namespace: string
  dagId: string
  date: string
  clearNumber: number
}) => staticUuid(o.date, `${o.namespace}.${o.dagId}.${o.clearNumber}`)

/** build_task_instance_ol_run_id: one id per try; `date` as for the DAG run. */
export const taskRunOlId = (o: {
  namespace: string
  dagId: string
  taskId: string
  tryNumber: number
  mapIndex: number
  date: string
}) => staticUuid(o.date, `${o.namespace}.${o.dagId}.${o.taskId}.${o.tryNumber}.${o.mapIndex}`)
