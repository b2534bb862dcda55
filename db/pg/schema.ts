import * as t from '../tables.ts'
import { pgTableOf } from '../tables-kit.ts'

// The PostgreSQL tables, built from the one definition in db/tables.ts like db/schema.ts's SQLite
// ones. drizzle-kit reads this file (drizzle.pg.config.ts, migrations in db/migrations-pg/).

export const domains = pgTableOf(t.domains)
export const datasets = pgTableOf(t.datasets)
export const datasetAliases = pgTableOf(t.datasetAliases)
export const datasetVersions = pgTableOf(t.datasetVersions)
export const jobs = pgTableOf(t.jobs)
export const runs = pgTableOf(t.runs)
export const lineageEdges = pgTableOf(t.lineageEdges)
export const columnEdges = pgTableOf(t.columnEdges)
export const columnLineageInputs = pgTableOf(t.columnLineageInputs)
export const checks = pgTableOf(t.checks)
export const assertions = pgTableOf(t.assertions)
export const metrics = pgTableOf(t.metrics)
export const products = pgTableOf(t.products)
export const productOutputs = pgTableOf(t.productOutputs)
export const batches = pgTableOf(t.batches)
export const rawEvents = pgTableOf(t.rawEvents)
export const collectorState = pgTableOf(t.collectorState)
export const evaluations = pgTableOf(t.evaluations)
export const alerts = pgTableOf(t.alerts)
export const alertEpisodes = pgTableOf(t.alertEpisodes)
export const apiTokens = pgTableOf(t.apiTokens)
export const contracts = pgTableOf(t.contracts)
export const incidents = pgTableOf(t.incidents)
export const incidentTransitions = pgTableOf(t.incidentTransitions)
export const incidentConsumers = pgTableOf(t.incidentConsumers)
export const incidentDeliveries = pgTableOf(t.incidentDeliveries)
export const incidentDigestItems = pgTableOf(t.incidentDigestItems)
export const incidentRouteHolds = pgTableOf(t.incidentRouteHolds)
