import * as t from './tables.ts'
import { sqliteTableOf } from './tables-kit.ts'

// The SQLite tables, built from the one definition in db/tables.ts (db/pg/schema.ts builds the
// PostgreSQL ones from the same). drizzle-kit reads this file (drizzle.config.ts).

export const domains = sqliteTableOf(t.domains)
export const datasets = sqliteTableOf(t.datasets)
export const datasetAliases = sqliteTableOf(t.datasetAliases)
export const datasetVersions = sqliteTableOf(t.datasetVersions)
export const jobs = sqliteTableOf(t.jobs)
export const runs = sqliteTableOf(t.runs)
export const lineageEdges = sqliteTableOf(t.lineageEdges)
export const columnEdges = sqliteTableOf(t.columnEdges)
export const columnLineageInputs = sqliteTableOf(t.columnLineageInputs)
export const checks = sqliteTableOf(t.checks)
export const assertions = sqliteTableOf(t.assertions)
export const metrics = sqliteTableOf(t.metrics)
export const products = sqliteTableOf(t.products)
export const productOutputs = sqliteTableOf(t.productOutputs)
export const batches = sqliteTableOf(t.batches)
export const rawEvents = sqliteTableOf(t.rawEvents)
export const collectorState = sqliteTableOf(t.collectorState)
export const evaluations = sqliteTableOf(t.evaluations)
export const alerts = sqliteTableOf(t.alerts)
export const alertEpisodes = sqliteTableOf(t.alertEpisodes)
export const apiTokens = sqliteTableOf(t.apiTokens)
export const contracts = sqliteTableOf(t.contracts)
export const incidents = sqliteTableOf(t.incidents)
export const incidentTransitions = sqliteTableOf(t.incidentTransitions)
export const incidentConsumers = sqliteTableOf(t.incidentConsumers)
export const incidentDeliveries = sqliteTableOf(t.incidentDeliveries)
export const incidentDigestItems = sqliteTableOf(t.incidentDigestItems)
export const incidentRouteHolds = sqliteTableOf(t.incidentRouteHolds)

export type DatasetRow = typeof datasets.$inferSelect
export type JobRow = typeof jobs.$inferSelect
export type RunRow = typeof runs.$inferSelect
export type ProductRow = typeof products.$inferSelect
export type ContractRow = typeof contracts.$inferSelect
export type IncidentDeliveryRow = typeof incidentDeliveries.$inferSelect
export type IncidentRow = typeof incidents.$inferSelect
export type IncidentTransitionRow = typeof incidentTransitions.$inferSelect
export type IncidentConsumerRow = typeof incidentConsumers.$inferSelect
export type IncidentDigestItemRow = typeof incidentDigestItems.$inferSelect
