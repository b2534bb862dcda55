import type { Assertion } from '../../collectors/batch.ts'
import type { Mesh } from './mesh.ts'
import type { GateCheck } from './types.ts'

const BAD = new Set(['fail', 'error'])

/**
 * One check per test result of the changed project: it fails when the test fails or errors
 * now and did not in the baseline (passing, warning, skipped or absent there). A test that
 * already failed in the baseline passes the gate with a note.
 */
export function checkTests(
  baseline: Mesh,
  current: Mesh,
  project: string,
  notes: string[],
): GateCheck[] {
  const ownKeys = new Set(
    [...current.datasets.values()]
      .filter((d) => d.project === project)
      .map((d) => `${d.namespace}\u0000${d.name}`),
  )
  const results = [...current.assertions.values()]
    .filter((a) => ownKeys.has(`${a.dataset.namespace}\u0000${a.dataset.name}`))
    .sort((a, b) => a.name.localeCompare(b.name))
  const out: GateCheck[] = []
  for (const a of results) {
    const before = baseline.assertions.get(a.key)
    const ds = current.datasets.get(`${a.dataset.namespace}\u0000${a.dataset.name}`)
    const bad = BAD.has(a.status)
    const newly = bad && !(before && BAD.has(before.status))
    if (bad && !newly)
      notes.push(
        `test ${a.name} on ${a.dataset.name} already ${before?.status} in the baseline (not a regression)`,
      )
    if (a.status === 'skipped' && before?.status !== 'skipped')
      notes.push(`test ${a.name} on ${a.dataset.name} was skipped (an upstream node failed)`)
    const check: GateCheck = {
      id: `tests:${a.key}`,
      category: 'tests',
      name: `test ${a.name}`,
      status: newly ? 'fail' : 'pass',
      message: newly
        ? failMessage(a, before)
        : `${a.status}${before ? ` (baseline: ${before.status})` : ' (new test)'}`,
      details: newly ? failDetails(a) : [],
      targets: [a.name, a.key],
      domain: ds?.domain,
      ...(ds?.sourceFile
        ? {
            location: {
              file: ds.sourceFile,
              column: a.column,
              model: ds.externalId?.split('.').at(-1),
            },
          }
        : {}),
    }
    out.push(check)
  }
  return out
}

function failMessage(a: Assertion, before: Assertion | undefined): string {
  const was = before ? `was ${before.status} in the baseline` : 'a new test'
  const n =
    a.failures !== undefined ? `, ${a.failures} failing row${a.failures === 1 ? '' : 's'}` : ''
  return `test ${a.name} on ${a.dataset.name}${a.column ? `.${a.column}` : ''} now ${a.status === 'error' ? 'errors' : 'fails'} (${was}${n}, severity ${a.severity})`
}

function failDetails(a: Assertion): string[] {
  return [`test: ${a.key}`, ...(a.message ? [`message: ${a.message.split('\n')[0]}`] : [])]
}
