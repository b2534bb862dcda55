import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPgPool } from '../../db/pg/client.ts'
import { pgParam } from '../../db/pg/ingest/unnest.ts'
import { Writes } from '../../db/pg/ingest/writes.ts'
import { createDatabase } from './helpers.ts'

// db/pg/ingest/writes.ts: held writes go as one statement, each with its own parameters, before
// the next query, which sees them; each gets the rows it returns.
let pool: pg.Pool
beforeAll(async () => {
  pool = await openPgPool(await createDatabase())
  await pool.query('create table held_a (k text primary key, v int8)')
  await pool.query('create table held_b (k text primary key)')
})
afterAll(() => pool.end())

describe('Writes', () => {
  it('sends held writes as one statement, numbered apart, before the next query', async () => {
    const client = await pool.connect()
    try {
      await client.query('begin')
      const sent: string[] = []
      const query = client.query.bind(client)
      // what reaches the connection: its statements' texts
      client.query = ((q: string | pg.QueryConfig, values?: unknown[]) => {
        sent.push(typeof q === 'string' ? q : q.text)
        return query(q, values)
      }) as typeof client.query
      const w = new Writes(client)
      const returned: unknown[] = []
      w.hold('insert into held_a (k, v) values ($1, $2::int8)', ['x', 1])
      w.hold<{ k: string }>(
        'insert into held_b (k) select unnest($1::text[]) returning k',
        [['p', 'q']],
        (rows) => {
          returned.push(...rows.map((r) => r.k))
        },
      )
      w.hold('update held_a set v = $2::int8 where k = $1', ['none', 5])
      expect(sent).toEqual([])
      const r = await w.query<{ n: number }>(
        'select (select count(*) from held_a)::int + (select count(*) from held_b)::int as n',
      )
      expect(r.rows).toEqual([{ n: 3 }])
      expect(sent).toHaveLength(2)
      expect(sent[0]).toMatch(/^with w0 as \(insert into held_a .*\$1, \$2/)
      expect(sent[0]).toContain('unnest($3::text[])')
      expect(sent[0]).toContain('where k = $4')
      expect(returned.sort()).toEqual(['p', 'q'])
      await w.flush()
      expect(sent).toHaveLength(2)
      await client.query('rollback')
    } finally {
      // the pool's next user gets pg's own query back
      Reflect.deleteProperty(client, 'query')
      client.release()
    }
  })

  it('sends a flat array as the literal pg would, whatever its elements', async () => {
    const texts = [
      'plain',
      '',
      'NULL',
      'null',
      ' spaced ',
      'a,b',
      '{braces}',
      'quote " inside',
      'back \\ slash',
      'x\\\\n',
      '\\"',
      'line\nbreak',
      'tab\there',
      '\u0001',
      'lone \ud800',
      'é✓ 🎉',
      'x\\\nend',
    ]
    const cases: [unknown[], string][] = [
      [texts, 'text'],
      [[...texts, null, undefined], 'text'],
      [[1, -2, 0, 2 ** 53 - 1, null], 'int8'],
      [[1.5, -0.25, 1e21, 5e-324, null], 'float8'],
      [[Number.NaN, Number.POSITIVE_INFINITY, 1], 'float8'],
      [[true, false, null], 'bool'],
      [[], 'text'],
    ]
    for (const [values, type] of cases) {
      const literal = pgParam(values)
      // pg's own encoding of the array and ours read back as the same array
      const r = await pool.query<{ same: boolean; n: number }>(
        `select $1::${type}[] is not distinct from $2::${type}[] as same, cardinality($2::${type}[]) as n`,
        [values, literal],
      )
      expect(r.rows[0], `${type} ${JSON.stringify(values)}`).toEqual({
        same: true,
        n: values.length,
      })
    }
    expect(pgParam(['a', 1, null])).toBe('{"a",1,null}')
    // what JSON would escape otherwise is left to pg
    expect(pgParam(['a\nb'])).toEqual(['a\nb'])
    expect(pgParam([{ a: 1 }])).toEqual([{ a: 1 }])
  })
})
