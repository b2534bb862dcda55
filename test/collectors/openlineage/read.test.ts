import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CollectorError } from '../../../collectors/batch.ts'
import {
  checkEventFile,
  readEventFile,
  streamEventFile,
  type EventRecord,
} from '../../../collectors/openlineage/read.ts'

// collect openlineage streams files a line at a time; it must read exactly what readEventFile does.
const FIXTURES = fileURLToPath(new URL('../../../fixtures/openlineage', import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'meshwatch-read-'))
const write = (name: string, text: string) => {
  const f = join(tmp, name)
  writeFileSync(f, text)
  return f
}

async function streamed(file: string): Promise<{ records: EventRecord[]; warnings: string[] }> {
  const warnings: string[] = []
  const records: EventRecord[] = []
  for await (const r of streamEventFile(file, warnings)) records.push(r)
  return { records, warnings }
}

const event = (i: number) =>
  JSON.stringify({
    eventTime: `2026-01-01T00:00:0${i}Z`,
    run: { runId: `r${i}` },
    job: { namespace: 'n', name: 'j' },
  })

describe('streaming event files', () => {
  const files = [
    ...readdirSync(join(FIXTURES, 'dbt-ol')).map((f) => join(FIXTURES, 'dbt-ol', f)),
    join(FIXTURES, 'python-client/events.ndjson'),
    write('mixed.ndjson', `${event(1)}\nnot json\n\n${event(2)}\r\n{"half": \n${event(3)}`),
    write('array.json', `[${event(1)}, ${event(2)}]`),
    write('one.json', event(4)),
    write('empty.ndjson', '\n  \n'),
  ].filter((f) => /\.(ndjson|jsonl|json)$/.test(f))

  it.each(files.map((f) => [f.slice(f.lastIndexOf('/') + 1), f]))(
    'reads %s as readEventFile does',
    async (_, file) => {
      const whole = await readEventFile(file)
      const lines = await streamed(file)
      expect(lines.records).toEqual(whole.records)
      expect(lines.warnings).toEqual(whole.warnings)
      if (file.endsWith('mixed.ndjson')) {
        expect(lines.records.map((r) => r.where)).toEqual([`${file}:1`, `${file}:4`, `${file}:6`])
        expect(lines.warnings).toHaveLength(2)
      }
    },
  )

  it('refuses a file where no line is JSON, before reading further and when streaming it', async () => {
    const garbage = write('garbage.ndjson', 'a\nb\nc\n')
    await expect(checkEventFile(garbage)).rejects.toThrow(CollectorError)
    await expect(checkEventFile(garbage)).rejects.toThrow(/none of its 3 lines is JSON/)
    await expect(streamed(garbage)).rejects.toThrow(/none of its 3 lines is JSON/)
    await expect(checkEventFile(write('bad-array.json', '[{"a": 1},'))).rejects.toThrow(/not JSON/)
    await expect(
      checkEventFile(write('late.ndjson', `oops\n${event(1)}\n`)),
    ).resolves.toBeUndefined()
  })
})

describe('every OpenLineage file shape', () => {
  // Real events: the python client's recorded run (fixtures/openlineage/python-client).
  const real = readFileSync(join(FIXTURES, 'python-client/events.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  const dir = mkdtempSync(join(tmpdir(), 'meshwatch-shapes-'))
  const put = (name: string, text: string) => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }
  const first = real[0] ?? {}
  const shapes = {
    'ndjson.ndjson': real.map((e) => JSON.stringify(e)).join('\n'),
    'compact.json': JSON.stringify(first),
    'pretty.json': `${JSON.stringify(first, null, 2)}\n`,
    'pretty-crlf.json': JSON.stringify(first, null, 4).replaceAll('\n', '\r\n'),
    'compact-array.json': JSON.stringify(real),
    'pretty-array.json': JSON.stringify(real, null, 2),
    'jq.json': real.map((e) => JSON.stringify(e, null, 2)).join('\n'),
  }
  const expected: Record<string, number> = {
    'compact.json': 1,
    'pretty.json': 1,
    'pretty-crlf.json': 1,
  }

  it.each(Object.entries(shapes))('reads %s', async (name, text) => {
    const file = put(name, text)
    const { records, warnings } = await readEventFile(file)
    expect(warnings).toEqual([])
    const n = expected[name] ?? real.length
    expect(records.map((r) => r.event)).toEqual(real.slice(0, n))
    await expect(checkEventFile(file)).resolves.toBeUndefined()
  })

  it('names a pretty-printed event by the line it starts on, skips one that is cut short', async () => {
    const docs = real.slice(0, 3).map((e) => JSON.stringify(e, null, 2))
    const broken = docs[1]?.slice(0, -20) ?? ''
    const file = put('broken.json', `${docs[0]}\n${broken}\n`)
    const { records, warnings } = await readEventFile(file)
    expect(records.map((r) => r.where)).toEqual([`${file}:1`])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      new RegExp(`broken\\.json:${(docs[0] ?? '').split('\n').length + 1}: skipped: not JSON`),
    )
  })

  it('streams pretty-printed events across read chunks, braces and quotes inside strings too', async () => {
    const tricky = (i: number) => ({
      ...first,
      run: { runId: `r-${i}` },
      job: { namespace: 'n', name: `j "}{][\\" ${i}` },
    })
    const events = Array.from({ length: 3000 }, (_, i) => tricky(i))
    const file = put('many.json', events.map((e) => JSON.stringify(e, null, 2)).join('\n'))
    const { records, warnings } = await readEventFile(file)
    expect(warnings).toEqual([])
    expect(records).toHaveLength(3000)
    expect(records[2999]?.event).toEqual(events[2999])
  })

  it('refuses a pretty-printed file where nothing parses', async () => {
    const file = put('cut.json', JSON.stringify(first, null, 2).slice(0, -30))
    await expect(checkEventFile(file)).rejects.toThrow(
      /cut\.json: not OpenLineage JSON: none of its 1 documents is JSON/,
    )
  })
})
