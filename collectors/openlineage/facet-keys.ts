/**
 * A facet is named by its key in the spec (`test`, `jobDependencies`…); a producer that attaches
 * the client's facet classes under keys of its own (the Airflow provider's all-facets DAG puts a
 * TestRunFacet under `testRun`) still sends the facet's `_schemaURL`. The facet schemas we read,
 * by the file their `_schemaURL` names, and the key the spec gives each.
 * https://openlineage.io/docs/spec/facets/
 */
const SPEC_KEYS: Record<string, string> = {
  TestRunFacet: 'test',
  JobDependenciesRunFacet: 'jobDependencies',
  ErrorMessageRunFacet: 'errorMessage',
  NominalTimeRunFacet: 'nominalTime',
  ParentRunFacet: 'parent',
  ExecutionParametersRunFacet: 'executionParameters',
  TagsRunFacet: 'tags',
  TagsJobFacet: 'tags',
  TagsDatasetFacet: 'tags',
  JobTypeJobFacet: 'jobType',
  DocumentationJobFacet: 'documentation',
  DocumentationDatasetFacet: 'documentation',
  OwnershipJobFacet: 'ownership',
  OwnershipDatasetFacet: 'ownership',
  SQLJobFacet: 'sql',
  SourceCodeLocationJobFacet: 'sourceCodeLocation',
  SchemaDatasetFacet: 'schema',
  SymlinksDatasetFacet: 'symlinks',
  ColumnLineageDatasetFacet: 'columnLineage',
  DatasourceDatasetFacet: 'dataSource',
  DatasetTypeDatasetFacet: 'datasetType',
  CatalogDatasetFacet: 'catalog',
  HierarchyDatasetFacet: 'hierarchy',
  LifecycleStateChangeDatasetFacet: 'lifecycleStateChange',
  DataQualityAssertionsDatasetFacet: 'dataQualityAssertions',
  DataQualityMetricsInputDatasetFacet: 'dataQualityMetrics',
  OutputStatisticsOutputDatasetFacet: 'outputStatistics',
}
const SCHEMA_FILE = /\/([A-Za-z]+)\.json(?:#.*)?$/

type Obj = Record<string, unknown>
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A facets map with each facet sent under a key of its own also under its spec key (if free). */
function withSpecKeys(facets: unknown): { facets: unknown; moved: [string, string][] } {
  if (!isObject(facets)) return { facets, moved: [] }
  let out: Obj | undefined
  const moved: [string, string][] = []
  for (const [key, value] of Object.entries(facets)) {
    if (!isObject(value) || typeof value['_schemaURL'] !== 'string') continue
    const file = SCHEMA_FILE.exec(value['_schemaURL'])?.[1]
    const spec = file === undefined ? undefined : SPEC_KEYS[file]
    if (spec === undefined || spec === key || Object.hasOwn(out ?? facets, spec)) continue
    out ??= { ...facets }
    out[spec] = value
    moved.push([key, spec])
  }
  return { facets: out ?? facets, moved }
}

export type FacetKeyMove = { path: string; from: string; to: string }

/**
 * A copy of an event in which every facet sent under a key of its own, whose `_schemaURL` names a
 * spec facet meshwatch reads, is also under the spec's key; the raw event is left as it came.
 */
export function specFacetKeys(raw: unknown): { event: unknown; moves: FacetKeyMove[] } {
  if (!isObject(raw)) return { event: raw, moves: [] }
  const moves: FacetKeyMove[] = []
  const fix = (holder: unknown, key: string, path: string): unknown => {
    if (!isObject(holder)) return holder
    const r = withSpecKeys(holder[key])
    if (r.moved.length === 0) return holder
    for (const [from, to] of r.moved) moves.push({ path: `${path}.${key}`, from, to })
    return { ...holder, [key]: r.facets }
  }
  const event: Obj = { ...raw }
  if (isObject(event['run'])) event['run'] = fix(event['run'], 'facets', '$.run')
  if (isObject(event['job'])) event['job'] = fix(event['job'], 'facets', '$.job')
  if (isObject(event['dataset'])) event['dataset'] = fix(event['dataset'], 'facets', '$.dataset')
  for (const [side, extra] of [
    ['inputs', 'inputFacets'],
    ['outputs', 'outputFacets'],
  ] as const) {
    const list = event[side]
    if (!Array.isArray(list)) continue
    event[side] = list.map((ds: unknown, i) =>
      fix(fix(ds, 'facets', `$.${side}[${i}]`), extra, `$.${side}[${i}]`),
    )
  }
  return moves.length === 0 ? { event: raw, moves } : { event, moves }
}
