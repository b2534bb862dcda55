import type { Batch } from '../../collectors/batch.ts'
import type { ContractDoc } from '../../collectors/contracts/schema.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { checkBreakingChanges } from './breaking.ts'
import { withColumnImpact } from './column-impact.ts'
import { checkContracts } from './contracts-diff.ts'
import { checkPrivateDependencies } from './dependencies.ts'
import { buildMesh, withProject } from './mesh.ts'
import { checkGovernance, checkProductScores } from './quality-diff.ts'
import { scoreOnStore } from './store.ts'
import { checkTests } from './tests-diff.ts'
import type { GateReport } from './types.ts'
import { applyWaivers, DEFAULT_GATE, expiredWaivers, type GateSettings } from './waivers.ts'
import { expandDatasetWide } from '../../collectors/dbt/column-lineage/dataset-wide.ts'

export interface GateInput {
  /** The changed project as the pull request builds it. */
  current: Batch
  /** Production: the project's own baseline batch and those of the rest of the mesh. */
  baseline: Batch[]
  /** Where the baseline came from, for the report (dirs or a server URL). */
  baselineLabel: string
  config: MeshwatchConfig
  now: Date
  /**
   * ODCS contracts of production and of the pull request (gate --baseline-contracts / --contracts).
   * `baselineOfMesh`: production's are the whole mesh's (a server's), so only those covering the
   * project's datasets or kept by the pull request are compared.
   */
  contracts?:
    { baseline: ContractDoc[]; current: ContractDoc[]; baselineOfMesh?: boolean } | undefined
}

/** The gate's settings from meshwatch.yml `gate:`, with defaults for what it leaves out. */
export function gateSettingsOf(config: MeshwatchConfig): GateSettings {
  const g = config.gate
  return {
    maxScoreDrop: g?.max_score_drop ?? DEFAULT_GATE.maxScoreDrop,
    failOn: g?.fail_on ?? DEFAULT_GATE.failOn,
    waivers: g?.waivers ?? [],
  }
}

/**
 * Compares the mesh with the changed project swapped in against the baseline mesh and returns
 * every check with its verdict: tests, breaking changes to public models (with consumers),
 * new private cross-domain reads (each project's own nodes, server/gate/mesh.ts), product scores
 * and governance (the server's store and evaluators, server/gate/store.ts). Waivers are applied
 * last.
 */
export function evaluateGate(input: GateInput): GateReport {
  const { current, config, now } = input
  const project = current.scope
  const baseline = buildMesh(input.baseline)
  const after = buildMesh(withProject(input.baseline, current))
  const scored = scoreOnStore(input.baseline, current, config, now, input.contracts)
  const settings = gateSettingsOf(config)
  const notes: string[] = []
  if (!input.baseline.some((b) => b.scope === project)) {
    notes.push(`the baseline has no ${project}: every test and model of it counts as new`)
  }
  const checks = [
    ...checkTests(baseline, after, project, notes),
    ...withColumnImpact(checkBreakingChanges(baseline, after, project), {
      baseline,
      after,
      project,
      edges: expandDatasetWide(withProject(input.baseline, current).flatMap((b) => b.columnEdges)),
      level: config.gate?.column_level ?? 'used-only',
      notes,
    }),
    ...checkPrivateDependencies(baseline, after, project),
    ...checkProductScores(scored.before, scored.after, settings),
    ...checkGovernance(scored.before, scored.after),
    ...(input.contracts
      ? checkContracts({ baselineMesh: baseline, after, project, ...input.contracts, notes })
      : []),
  ]
  for (const w of expiredWaivers(settings.waivers, now)) {
    notes.push(
      `gate waiver for ${w.check}${w.target ? ` ${w.target}` : ''} expired on ${w.expires}: it no longer applies`,
    )
  }
  return {
    project: project.replace(/^dbt:/, ''),
    baseline: input.baselineLabel,
    checks: applyWaivers(checks, settings.waivers, now),
    notes,
  }
}
