import { describe, expect, it } from 'vitest'
import { renderAnnotations } from '../../../server/gate/github.ts'
import { renderJunit } from '../../../server/gate/junit.ts'
import { findInYml } from '../../../server/gate/locate.ts'
import type { GateReport } from '../../../server/gate/types.ts'

const report = (message: string): GateReport => ({
  project: 'sales',
  baseline: 'prod',
  notes: [],
  checks: [
    {
      id: 'a',
      category: 'tests',
      name: 'test x, y: z',
      status: 'fail',
      message,
      details: ['detail 1'],
      targets: [],
      location: { file: 'models/a,b.yml', line: 7 },
    },
  ],
})

describe('GitHub annotations', () => {
  it('escapes %, CR and LF in the message and , : in properties', () => {
    const [a] = renderAnnotations(report('100% broken\r\nnext'), 'repo/sales/')
    expect(a).toBe(
      '::error file=repo/sales/models/a%2Cb.yml,line=7,title=meshwatch gate%3A test x%2C y%3A z::100%25 broken%0D%0Anext%0Adetail 1',
    )
  })
})

describe('JUnit XML', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    const xml = renderJunit(report('a <b> & "c"\u0001'))
    expect(xml).toContain('message="a &lt;b&gt; &amp; &quot;c&quot;"')
    expect(xml).not.toContain('\u0001')
  })
})

describe('findInYml', () => {
  const files = [
    {
      file: 'models/marts/_sales__models.yml',
      lines: [
        'models:',
        '  - name: orders',
        '    columns:',
        '      - name: order_id',
        '      - name: status',
        '  - name: sales_daily',
        '    columns:',
        '      - name: channel',
      ],
    },
  ]
  it.each([
    { name: 'a column of the model', column: 'status', line: 5 },
    { name: 'the model when its column is gone', column: 'channel', line: 2 },
    { name: 'the model with no column', column: undefined, line: 2 },
  ])('finds $name', ({ column, line }) => {
    expect(findInYml(files, 'orders', column)).toEqual({
      file: 'models/marts/_sales__models.yml',
      line,
    })
  })
  it('finds nothing for an unknown model', () => {
    expect(findInYml(files, 'customers')).toBeUndefined()
  })
})
