import { describe, expect, it } from 'vitest'
import { parseJunitXml } from '../../../collectors/junit/index.ts'

// JUnit reports of other test runners, as dorny/test-reporter's fixtures hold them
// (dorny/test-reporter @ 29672c52a8220c09bd9f79b5b6cf6315f1763996, __tests__/fixtures/; the files
// are not copied: each case below is the few elements of the cited file that showed the behaviour).
const NOW = new Date('2026-11-26T00:00:00Z')
const parse = (xml: string, file: string) => parseJunitXml(xml, { now: NOW, file })

describe('JUnit reports of other test runners', () => {
  // external/jest/jest-test-results.xml (jest-junit): the classname is the describe titles, which
  // may hold a slash. It was read as `<namespace>/<name>`: a dataset named
  // "async throws if Error-like object is returned" in namespace "toThrowError promise".
  it('jest-junit: a describe title with a slash names no dataset', () => {
    const b = parse(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="jest tests">',
        '<testsuite name="packages/expect/src/__tests__/toThrowMatchers.test.ts" timestamp="2021-01-24T19:21:45" tests="1">',
        '<testcase classname="toThrowError promise/async throws if Error-like object is returned" name="passes" time="0.003">',
        '</testcase>',
        '</testsuite>',
        '<testsuite name="e2e/__tests__/promiseReject.test.ts" timestamp="2021-01-24T19:23:00" tests="1">',
        '<testcase classname="" name="" time="0.006"></testcase>',
        '</testsuite>',
        '</testsuites>',
      ].join('\n'),
      'jest-test-results.xml',
    )
    expect(b.assertions).toEqual([])
    expect(b.warnings).toEqual([
      'jest-test-results.xml: skipped testcase toThrowError promise/async throws if Error-like object is returned::passes: classname toThrowError promise/async throws if Error-like object is returned is not <namespace>/<name> (no scheme://… or bigquery namespace before its last slash)',
      'jest-test-results.xml: skipped testcase 1 of suite e2e/__tests__/promiseReject.test.ts: $["@_name"]: the testcase has an empty name attribute',
    ])
  })

  // nette-tester/tester-v1.7-report.xml: the classname is the test file's path.
  it('Nette Tester: a file path names no dataset', () => {
    const b = parse(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites>',
        '\t<testsuite errors="1" skipped="3" tests="65" time="2.1" timestamp="2026-01-01T16:50:52">',
        '\t\t<testcase classname="tests/Framework/Dumper.toPhp.php7.phpt" name="tests/Framework/Dumper.toPhp.php7.phpt">',
        '\t\t\t<skipped/>',
        '\t\t</testcase>',
        '\t\t<testcase classname="tests/CodeCoverage/PhpParser.parse.lines.phpt" name="tests/CodeCoverage/PhpParser.parse.lines.phpt"/>',
        '\t</testsuite>',
        '</testsuites>',
      ].join('\n'),
      'tester-v1.7-report.xml',
    )
    expect(b.assertions).toEqual([])
    expect(b.warnings).toHaveLength(2)
    expect(b.warnings[0]).toContain(
      'classname tests/Framework/Dumper.toPhp.php7.phpt is not <namespace>/<name>',
    )
  })

  it('a classname whose namespace is a URI, or bigquery, still names its dataset', () => {
    const b = parse(
      [
        '<testsuite name="s" timestamp="2026-01-01T16:50:52">',
        '<testcase classname="duckdb:///srv/mesh.duckdb/mesh.sales.orders" name="a"/>',
        '<testcase classname="bigquery/proj.ds.orders" name="b"><failure message="x"/></testcase>',
        '</testsuite>',
      ].join(''),
      'mixed.xml',
    )
    expect(b.warnings).toEqual([])
    expect(b.assertions.map((a) => [a.dataset, a.status])).toEqual([
      [{ namespace: 'duckdb:///srv/mesh.duckdb', name: 'mesh.sales.orders' }, 'pass'],
      [{ namespace: 'bigquery', name: 'proj.ds.orders' }, 'fail'],
    ])
  })

  // external/java/pulsar-test-report.xml (Maven Surefire, Apache Pulsar): 808 testcases, none naming
  // a dataset, were 808 warning lines.
  it('Surefire: names the first 20 testcases naming no dataset and counts the rest', () => {
    const cases = Array.from(
      { length: 808 },
      (_, i) =>
        `<testcase name="testTopicLevelOffload${i}" classname="org.apache.pulsar.broker.admin.AdminApiOffloadTest" time="0.1"/>`,
    )
    const b = parse(
      `<?xml version="1.0" encoding="UTF-8"?><testsuites><testsuite name="org.apache.pulsar.broker.admin.AdminApiOffloadTest" tests="808">${cases.join('')}</testsuite></testsuites>`,
      'pulsar-test-report.xml',
    )
    expect(b.warnings).toHaveLength(21)
    expect(b.warnings[0]).toContain(
      'skipped testcase org.apache.pulsar.broker.admin.AdminApiOffloadTest::testTopicLevelOffload0: no dataset',
    )
    expect(b.warnings[20]).toBe(
      'pulsar-test-report.xml: skipped 788 more testcases (808 in all, the first 20 named above)',
    )
  })

  // dotnet-nunit.xml: NUnit 3's own format (a <test-run> root) is not JUnit.
  it('NUnit 3 XML is refused whole, naming the file', () => {
    expect(() =>
      parse(
        '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n<test-run id="0" testcasecount="9" result="Failed"></test-run>',
        'dotnet-nunit.xml',
      ),
    ).toThrow('dotnet-nunit.xml: not JUnit XML (expected a <testsuites> or <testsuite> root)')
  })
})
