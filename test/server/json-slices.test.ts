import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JsonLimitError, JsonSyntaxError, parseJsonSliced } from '../../server/json-slices.ts'

const OPTS = { maxStringBytes: 1 << 20, maxDepth: 64, sliceBytes: 64 }

describe('parseJsonSliced', () => {
  it('gives what JSON.parse gives for any JSON text, with tiny slices so every path is walked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(0, 2), async (v, indent) => {
        const text = JSON.stringify(v, null, indent)
        expect(await parseJsonSliced(Buffer.from(text), OPTS)).toStrictEqual(JSON.parse(text))
      }),
      { numRuns: 300 },
    )
  })

  it('refuses what JSON.parse refuses, with a syntax error naming a byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 4 }),
        fc.nat(),
        fc.constantFrom('', ',', '}', ']', ':', '"', '{', '['),
        async (v, at, junk) => {
          const text = JSON.stringify(v)
          const bad =
            text.slice(0, at % (text.length + 1)) + junk + text.slice(at % (text.length + 1))
          let ok = true
          try {
            JSON.parse(bad)
          } catch {
            ok = false
          }
          const r = parseJsonSliced(Buffer.from(bad), OPTS)
          if (ok) expect(await r).toStrictEqual(JSON.parse(bad))
          else await expect(r).rejects.toThrow(JsonSyntaxError)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('keeps __proto__ an own key, as JSON.parse does', async () => {
    const text = JSON.stringify({ a: 'x'.repeat(100), b: { c: 'y'.repeat(100) } }).replace(
      '"b"',
      '"__proto__"',
    )
    const v = (await parseJsonSliced(Buffer.from(text), OPTS)) as Record<string, unknown>
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(Object.keys(v)).toEqual(['a', '__proto__'])
  })

  it('refuses a string over the limit naming its path, and nesting over the depth limit', async () => {
    const big = JSON.stringify({ datasets: [{ meta: { blob: 'x'.repeat(5000) } }] })
    const e = await parseJsonSliced(Buffer.from(big), { ...OPTS, maxStringBytes: 1000 }).catch(
      (x: unknown) => x,
    )
    expect(e).toBeInstanceOf(JsonLimitError)
    expect((e as JsonLimitError).path).toBe('$.datasets[0].meta.blob')
    const deep = `${'['.repeat(80)}${'"pad",'.repeat(30)}1${']'.repeat(80)}`
    await expect(parseJsonSliced(Buffer.from(deep), OPTS)).rejects.toThrow(
      /deeper than the limit of 64/,
    )
  })
})
