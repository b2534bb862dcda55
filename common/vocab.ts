// The closed vocabularies every layer speaks: db/schema.ts types its enum columns with them,
// server/ scores and alerts with them, web/ may show them. Pure values, no imports, so db/,
// server/quality/ (which takes no values from db/) and web/ (which runs in the browser) can all
// import them (STYLE.md §1).

/** `unknown`: nothing observed to judge by (a dimension without data, a product without any). */
export const STATUSES = ['ok', 'warn', 'breach', 'unknown'] as const
export type Status = (typeof STATUSES)[number]
/** What a dimension with data can be; `unknown` carries no score. */
export type KnownStatus = Exclude<Status, 'unknown'>

/** The quality dimensions an SLA scores, in the order they are reported. */
export const DIMENSIONS = ['freshness', 'tests', 'volume', 'schema', 'reliability'] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** How a root-cause chain links one node to the next. */
export const LINKS = ['lineage', 'orchestration', 'parent', 'config', 'same-domain'] as const
export type Link = (typeof LINKS)[number]

/** Why an alert was written: the episode opened, got worse, is still breached, or ended. */
export const ALERT_KINDS = ['opened', 'worsened', 'reminder', 'recovered'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

/** Where an alert is in the outbox. */
export const ALERT_STATUSES = ['pending', 'delivered', 'failed'] as const
export type AlertStatus = (typeof ALERT_STATUSES)[number]

/** Routing severity: recoveries go where the episode's worst alert went. */
export const ALERT_SEVERITIES = ['warn', 'breach'] as const
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number]

/**
 * Metric name prefixes of a column's metrics (OpenLineage dataQualityMetrics columnMetrics):
 * `column_min:ordered_at` (for a date or time column, its oldest value), `column_nulls:order_id`.
 */
export const COLUMN_METRICS = { min: 'column_min:', nullCount: 'column_nulls:' } as const
export type ColumnMetricName = keyof typeof COLUMN_METRICS
