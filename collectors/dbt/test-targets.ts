import { createInputResolver, type DatasetNode, type Graph } from './graph.ts'
import type { DbtNode } from './schema.ts'

const REF_RE = /ref\(\s*['"]([^'"]+)['"]/

/** What a test checks: tables, or the reason it checks none. */
export type TestTarget =
  { datasets: DatasetNode[]; ephemeral?: string } | { datasets: []; reason: string }

/**
 * The datasets a test checks: its attached_node, else the node its kwargs.model refs, else its
 * first dependency. An ephemeral model is no table: dbt inlines it as a CTE into every query
 * that selects from it, the test's own query included, so a test on it checks rows read from
 * the ephemeral model's inputs (looking through chains of ephemeral models). Those inputs are
 * the datasets it is attached to; the tables built from the ephemeral model may change the
 * grain (a join), so the test says nothing certain about them.
 */
export function createTestTargets(graph: Graph): (test: DbtNode) => TestTarget {
  const inputsOf = createInputResolver(graph)
  return (test) => {
    const id = testedNode(graph, test)
    if (id === undefined) {
      const none = (test.depends_on?.nodes ?? []).length === 0
      return {
        datasets: [],
        reason: none
          ? 'it depends on no node (a singular test whose SQL names its tables without ref or source): the dataset it checks is unknown'
          : 'the node it tests is not in the manifest',
      }
    }
    const ds = graph.datasets.get(id)
    if (ds) return { datasets: [ds] }
    if (graph.nodes.get(id)?.config?.materialized !== 'ephemeral') {
      return { datasets: [], reason: `the node it tests (${id}) is not in the manifest` }
    }
    const datasets = inputsOf(id)
    if (datasets.length === 0) {
      return { datasets: [], reason: `it tests the ephemeral model ${id}, which reads no table` }
    }
    return { datasets, ephemeral: id }
  }
}

/** The unique_id of the node a test checks, if it names one. */
function testedNode(graph: Graph, test: DbtNode): string | undefined {
  if (test.attached_node) return test.attached_node
  const deps = (test.depends_on?.nodes ?? []).filter((d) => graph.nodes.has(d))
  const model = test.test_metadata?.kwargs?.['model']
  const refName = typeof model === 'string' ? REF_RE.exec(model)?.[1] : undefined
  const byRef = refName ? deps.find((d) => graph.nodes.get(d)?.name === refName) : undefined
  return byRef ?? deps.find((d) => graph.datasets.has(d)) ?? deps[0]
}
