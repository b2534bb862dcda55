import { basename } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { z } from 'zod'
import { formatIssues } from '../../common/format.ts'
import {
  CollectorError,
  emptyBatch,
  type Assertion,
  type AssertionStatus,
  type Batch,
  type Ref,
} from '../batch.ts'
import {
  ARRAY_ELEMENTS,
  JunitDocumentSchema,
  TestcaseSchema,
  TestsuiteSchema,
  type Outcome,
  type Testcase,
} from './schema.ts'

export interface ParseJunitOptions {
  /** Completes a dataset named without a namespace (property `name` only, dotted classname). */
  namespace?: string | undefined
  /** When a suite has no timestamp: the time the results are recorded as observed. */
  now: Date
  /** How to name the file in errors and warnings. */
  file?: string | undefined
}

const MAX_SKIP_WARNINGS = 20
const DATASET_PROPERTIES = ['dataset', 'meshwatch.dataset']
const DOTTED = /^[^./\s]+\.[^./\s]+\.[^./\s]+$/
// An OpenLineage dataset namespace: scheme://authority…, or BigQuery's bare `bigquery`.
const NAMESPACE = /^(?:[a-z][a-z0-9+.-]*:\/\/\S*|bigquery)$/i

/**
 * Maps one JUnit XML document (pytest, Surefire, dbt/Great Expectations exports…) to a 'junit'
 * batch: one assertion per testcase whose dataset is named by a `dataset` / `meshwatch.dataset`
 * property (`<namespace>|<name>`), else by its classname (`<namespace>/<name>`, or a dotted
 * `db.schema.table` with `namespace`). Malformed XML or a non-JUnit root throws CollectorError
 * with the line; a testcase naming no dataset is skipped with a warning.
 */
export function parseJunitXml(text: string, opts: ParseJunitOptions): Batch {
  const file = opts.file ?? 'junit.xml'
  const valid = XMLValidator.validate(text)
  if (valid !== true) {
    throw new CollectorError(
      `${file}:${valid.err.line}:${valid.err.col}: not well-formed XML: ${valid.err.msg}`,
      { file },
    )
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    htmlEntities: true,
    isArray: (name) => ARRAY_ELEMENTS.has(name),
  })
  const doc = JunitDocumentSchema.safeParse(parser.parse(text))
  if (!doc.success)
    throw new CollectorError(
      `${file}: not JUnit XML (expected a <testsuites> or <testsuite> root)`,
      { file },
    )
  const top =
    'testsuites' in doc.data
      ? doc.data.testsuites === ''
        ? []
        : (doc.data.testsuites.testsuite ?? [])
      : doc.data.testsuite
  const batch = emptyBatch('junit', `junit:${basename(file)}`)
  // A report of a test suite that names no dataset skips every case: the first few are named,
  // the rest counted, so thousands of testcases do not make thousands of lines.
  let skipped = 0
  const skip = (warning: string) => {
    if (++skipped <= MAX_SKIP_WARNINGS) batch.warnings.push(warning)
  }
  const walk = (raw: unknown, path: string, inheritedTime: string | undefined): void => {
    const suite = TestsuiteSchema.safeParse(raw === '' ? {} : raw)
    if (!suite.success) {
      batch.warnings.push(`${file}: skipped testsuite ${path}: ${z.prettifyError(suite.error)}`)
      return
    }
    const name = suite.data['@_name'] ?? path
    const observedAt = isoTime(suite.data['@_timestamp']) ?? inheritedTime
    for (const [i, rawCase] of (suite.data.testcase ?? []).entries()) {
      const tc = TestcaseSchema.safeParse(rawCase === '' ? {} : rawCase)
      if (!tc.success) {
        skip(
          `${file}: skipped testcase ${i + 1} of suite ${name}: ${formatIssues(tc.error.issues, 1)}`,
        )
        continue
      }
      const a = toAssertion(tc.data, name, observedAt ?? opts.now.toISOString(), opts.namespace)
      if (typeof a === 'string') skip(`${file}: skipped testcase ${caseLabel(tc.data)}: ${a}`)
      else batch.assertions.push(a)
    }
    for (const [i, nested] of (suite.data.testsuite ?? []).entries())
      walk(nested, `${name}/${i + 1}`, observedAt)
  }
  for (const [i, s] of top.entries()) walk(s, String(i + 1), undefined)
  if (skipped > MAX_SKIP_WARNINGS)
    batch.warnings.push(
      `${file}: skipped ${skipped - MAX_SKIP_WARNINGS} more testcases (${skipped} in all, the first ${MAX_SKIP_WARNINGS} named above)`,
    )
  return batch
}

const caseLabel = (tc: Testcase): string =>
  `${tc['@_classname'] ? `${tc['@_classname']}::` : ''}${tc['@_name']}`

function propertiesOf(tc: Testcase): Map<string, string> {
  const props = new Map<string, string>()
  if (tc.properties) {
    for (const p of tc.properties.property ?? [])
      props.set(p['@_name'], p['@_value'] ?? p['#text'] ?? '')
  }
  return props
}

/** The dataset a testcase checks, or why none could be named. */
export function datasetOf(
  props: ReadonlyMap<string, string>,
  classname: string | undefined,
  namespace: string | undefined,
): Ref | string {
  const declared = DATASET_PROPERTIES.map((k) => props.get(k)).find(
    (v) => v !== undefined && v.trim() !== '',
  )
  if (declared !== undefined) {
    const bar = declared.indexOf('|')
    if (bar > 0 && bar < declared.length - 1)
      return { namespace: declared.slice(0, bar), name: declared.slice(bar + 1) }
    if (namespace) return { namespace, name: declared }
    return `property dataset="${declared}" has no namespace (use "<namespace>|<name>" or --namespace)`
  }
  const slash = classname?.lastIndexOf('/') ?? -1
  if (classname && slash > 0 && slash < classname.length - 1) {
    const ns = classname.slice(0, slash)
    // Test runners put file paths (tests/Foo.phpt) and describe titles (a promise/async test) in
    // the classname: only an OpenLineage namespace before the last slash names a dataset.
    if (NAMESPACE.test(ns) && !/\s/.test(classname))
      return { namespace: ns, name: classname.slice(slash + 1) }
    return `classname ${classname} is not <namespace>/<name> (no scheme://… or bigquery namespace before its last slash)`
  }
  if (classname && DOTTED.test(classname)) {
    return namespace
      ? { namespace, name: classname }
      : `classname ${classname} looks like db.schema.table but no --namespace was given`
  }
  return 'no dataset: add a property dataset="<namespace>|<name>" or use classname <namespace>/<name>'
}

function toAssertion(
  tc: Testcase,
  suite: string,
  observedAt: string,
  namespace: string | undefined,
): Assertion | string {
  const props = propertiesOf(tc)
  const dataset = datasetOf(props, tc['@_classname'], namespace)
  if (typeof dataset === 'string') return dataset
  const severity = props.get('severity')?.toLowerCase() === 'warn' ? 'warn' : 'error'
  const [status, outcome] = statusOf(tc)
  const message = outcome === undefined ? undefined : messageOf(outcome)
  const column = props.get('column')
  return {
    key: `junit:${suite}:${caseLabel(tc)}`.slice(0, 4096),
    dataset,
    name: tc['@_name'].slice(0, 4096),
    // like dbt: a failing warn-severity test is a warning
    status: status === 'fail' && severity === 'warn' ? 'warn' : status,
    severity,
    observedAt,
    origin: 'junit',
    ...(column ? { column } : {}),
    ...(message ? { message: message.slice(0, 65536) } : {}),
  }
}

function statusOf(tc: Testcase): [AssertionStatus, Outcome | undefined] {
  if (tc.error?.length) return ['error', tc.error[0]]
  if (tc.failure?.length) return ['fail', tc.failure[0]]
  if (tc.skipped?.length) return ['skipped', tc.skipped[0]]
  return ['pass', undefined]
}

const messageOf = (o: Outcome): string | undefined =>
  typeof o === 'string'
    ? o.trim() || undefined
    : (o['@_message'] ?? o['#text'])?.trim() || undefined

/** An ISO time with an offset; a JUnit timestamp without one is taken as UTC. */
function isoTime(t: string | undefined): string | undefined {
  if (!t) return undefined
  const withZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t : `${t}Z`
  const ms = Date.parse(withZone)
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined
}
