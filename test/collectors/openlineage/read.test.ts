import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CollectorError } from '../../../collectors/batch.ts'
import { checkEventFile, readEventFile, streamEventFile, type EventRecord } from '../../../collectors/openlineage/read.ts'

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

const event = (i: number) => JSON.stringify({ eventTime: `2026-01-01T00:00:0${i}Z`, run: { runId: `r${i}` }, job: { namespace: 'n', name: 'j' } })

describe('streaming event files', () => {
  const files = [
    ...readdirSync(join(FIXTURES, 'dbt-ol')).map((f) => join(FIXTURES, 'dbt-ol', f)),
    join(FIXTURES, 'python-client/events.ndjson'),
    write('mixed.ndjson', `${event(1)}\nnot json\n\n${event(2)}\r\n{"half": \n${event(3)}`),
    write('array.json', `[${event(1)}, ${event(2)}]`),
    write('one.json', event(4)),
    write('empty.ndjson', '\n  \n'),
  ].filter((f) => /\.(ndjson|jsonl|json)$/.test(f))

  it.each(files.map((f) => [f.slice(f.lastIndexOf('/') + 1), f]))('reads %s as readEventFile does', async (_, file) => {
    const whole = await readEventFile(file)
    const lines = await streamed(file)
    expect(lines.records).toEqual(whole.records)
    expect(lines.warnings).toEqual(whole.warnings)
    if (file.endsWith('mixed.ndjson')) {
      expect(lines.records.map((r) => r.where)).toEqual([`${file}:1`, `${file}:4`, `${file}:6`])
      expect(lines.warnings).toHaveLength(2)
    }
  })

  it('refuses a file where no line is JSON, before reading further and when streaming it', async () => {
    const garbage = write('garbage.ndjson', 'a\nb\nc\n')
    await expect(checkEventFile(garbage)).rejects.toThrow(CollectorError)
    await expect(checkEventFile(garbage)).rejects.toThrow(/none of its 3 lines is JSON/)
    await expect(streamed(garbage)).rejects.toThrow(/none of its 3 lines is JSON/)
    await expect(checkEventFile(write('bad-array.json', '[{"a": 1},'))).rejects.toThrow(/not JSON/)
    await expect(checkEventFile(write('late.ndjson', `oops\n${event(1)}\n`))).resolves.toBeUndefined()
  })
})
