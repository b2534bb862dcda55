import { z } from 'zod'

/**
 * zod for JUnit XML as fast-xml-parser returns it (attributes prefixed `@_`, text as `#text`,
 * repeatable elements always arrays). There is no single JUnit spec; we read what pytest,
 * Maven Surefire and most CI readers share: https://github.com/testmoapp/junitxml
 */

/** `<failure message="…">text</failure>`, or `<failure/>` (parsed as an empty string). */
const OutcomeSchema = z.union([
  z.string(),
  z.object({
    '@_message': z.string().optional(),
    '@_type': z.string().optional(),
    '#text': z.string().optional(),
  }),
])
export type Outcome = z.infer<typeof OutcomeSchema>

const PropertySchema = z.object({
  '@_name': z.string(),
  '@_value': z.string().optional(),
  '#text': z.string().optional(),
})

export const TestcaseSchema = z.object({
  '@_name': z.string().min(1, 'the testcase has an empty name attribute'),
  '@_classname': z.string().optional(),
  '@_time': z.string().optional(),
  properties: z
    .union([z.literal(''), z.object({ property: z.array(PropertySchema).optional() })])
    .optional(),
  failure: z.array(OutcomeSchema).optional(),
  error: z.array(OutcomeSchema).optional(),
  skipped: z.array(OutcomeSchema).optional(),
})
export type Testcase = z.infer<typeof TestcaseSchema>

/** A suite keeps its cases (and nested suites) unparsed, so one bad case is skipped, not the file. */
export const TestsuiteSchema = z.object({
  '@_name': z.string().optional(),
  '@_timestamp': z.string().optional(),
  testcase: z.array(z.unknown()).optional(),
  testsuite: z.array(z.unknown()).optional(),
})

const SuitesSchema = z.union([
  z.literal(''),
  z.object({ '@_name': z.string().optional(), testsuite: z.array(z.unknown()).optional() }),
])

export const JunitDocumentSchema = z.union([
  z.object({ testsuites: SuitesSchema }),
  z.object({ testsuite: z.array(z.unknown()) }),
])

/** Elements that may repeat: the parser returns them as arrays even when there is one. */
export const ARRAY_ELEMENTS = new Set([
  'testsuite',
  'testcase',
  'property',
  'failure',
  'error',
  'skipped',
])
