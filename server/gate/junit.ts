import { XMLBuilder } from 'fast-xml-parser'
import { CATEGORY_TITLES } from './text.ts'
import type { GateCheck, GateReport } from './types.ts'
import { GATE_CATEGORIES } from './waivers.ts'

// Characters XML 1.0 forbids even escaped; a dbt message could carry them.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g
const clean = (s: string): string => s.replace(INVALID_XML, '')
const oneLine = (s: string): string => clean(s).replace(/\s*[\r\n]+\s*/g, ' ')

function testcase(c: GateCheck): Record<string, unknown> {
  const tc: Record<string, unknown> = {
    '@_classname': `meshwatch.gate.${c.category}${c.domain ? `.${c.domain}` : ''}`,
    '@_name': oneLine(c.name),
    '@_time': '0',
  }
  if (c.location) tc['@_file'] = c.location.file
  if (c.status === 'fail') {
    tc['failure'] = {
      '@_message': oneLine(c.message),
      '@_type': c.category,
      '#text': clean([c.message, ...c.details].join('\n')),
    }
  } else if (c.status === 'waived') {
    tc['skipped'] = {
      '@_message': oneLine(`waived until ${c.waiver?.expires}: ${c.waiver?.reason}; ${c.message}`),
    }
  }
  return tc
}

/**
 * The report as JUnit XML (testsuites > testsuite per category > testcase per check, a
 * <failure> per regression, <skipped> per waived one), the shape CI JUnit readers accept.
 */
export function renderJunit(r: GateReport, opts: { durationSeconds?: number } = {}): string {
  const time = (opts.durationSeconds ?? 0).toFixed(3)
  const suites = GATE_CATEGORIES.flatMap((category) => {
    const cs = r.checks.filter((c) => c.category === category)
    if (cs.length === 0) return []
    return [
      {
        '@_name': `meshwatch gate: ${CATEGORY_TITLES[category]}`,
        '@_tests': String(cs.length),
        '@_failures': String(cs.filter((c) => c.status === 'fail').length),
        '@_errors': '0',
        '@_skipped': String(cs.filter((c) => c.status === 'waived').length),
        '@_time': '0',
        testcase: cs.map(testcase),
      },
    ]
  })
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': oneLine(`meshwatch gate ${r.project}`),
      '@_tests': String(r.checks.length),
      '@_failures': String(r.checks.filter((c) => c.status === 'fail').length),
      '@_errors': '0',
      '@_time': time,
      testsuite: suites,
    },
  }
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    format: true,
    suppressEmptyNode: true,
  })
  return builder.build(doc)
}
