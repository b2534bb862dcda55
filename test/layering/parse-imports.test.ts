import { describe, expect, it } from 'vitest'
import { parseImports, valueNames } from './parse-imports.ts'

describe('parseImports', () => {
  it.each([
    {
      name: 'default and named',
      src: "import a, { b } from './a.ts'",
      expected: [[1, './a.ts', false]],
    },
    {
      name: 'type only, over lines',
      src: "\nimport type {\n  A,\n  B,\n} from '../x.ts'",
      expected: [[2, '../x.ts', true]],
    },
    {
      name: 'inline type is a runtime import',
      src: "import { type A } from 'x'",
      expected: [[1, 'x', false]],
    },
    {
      name: 're-exports',
      src: "export * from './a.ts'\nexport type { T } from './t.ts'",
      expected: [
        [1, './a.ts', false],
        [2, './t.ts', true],
      ],
    },
    { name: 'namespace', src: "import * as fs from 'node:fs'", expected: [[1, 'node:fs', false]] },
    { name: 'side effect', src: "import './setup.ts'", expected: [[1, './setup.ts', false]] },
    {
      name: 'dynamic',
      src: "const m = await import('./cli.ts')",
      expected: [[1, './cli.ts', false]],
    },
    {
      name: 'type query',
      src: "type T = typeof import('../db/a.ts')",
      expected: [[1, '../db/a.ts', true]],
    },
    {
      name: 'commented out',
      src: "// import a from 'a'\n/* import b from 'b' */\nconst x = 1",
      expected: [],
    },
    {
      name: 'in a string or regex',
      src: "const s = \"import a from 'a'\"\nconst r = /['\"]/\nimport c from 'c'",
      expected: [[3, 'c', false]],
    },
    {
      name: 'after a template',
      src: "const t = `${a}/*`\nimport d from 'd'",
      expected: [[2, 'd', false]],
    },
  ])('$name', ({ src, expected }) => {
    expect(parseImports(src).map((i) => [i.line, i.specifier, i.typeOnly])).toEqual(expected)
  })
})

describe('valueNames', () => {
  it.each([
    { src: "import type { Batch } from 'b'", expected: [] },
    {
      src: "import { emptyBatch, type Batch, refKey as key } from 'b'",
      expected: ['emptyBatch', 'refKey'],
    },
    { src: "import { type Batch } from 'b'", expected: ['*'] },
    { src: "import z, { y } from 'b'", expected: ['default', 'y'] },
    { src: "export * from 'b'", expected: ['*'] },
    { src: "import 'b'", expected: ['*'] },
    { src: "await import('b')", expected: ['*'] },
  ])('$src', ({ src, expected }) => {
    expect(parseImports(src).flatMap(valueNames)).toEqual(expected)
  })
})
