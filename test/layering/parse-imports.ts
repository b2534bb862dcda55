// Reads the module specifiers of a TypeScript/JavaScript source without a parser (TypeScript 7 has
// no JS API): a scanner blanks comments, then regexes find every `import … from`, `export … from`,
// side-effect `import '…'` and `import('…')`. Used by test/layering.test.ts.

export interface Import {
  /** 1-based line of the statement's first line. */
  line: number
  specifier: string
  /** `import type …` / `export type … from`: erased at runtime. `import { type A }` is not. */
  typeOnly: boolean
  dynamic: boolean
  /** The statement as written, on one line, for messages. */
  text: string
}

/** Replaces comments with spaces, keeping newlines (so offsets map to the same lines) and strings. */
export function blankComments(src: string): string {
  const out = src.split('')
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' '
  }
  // `/` starts a regex literal (not a division) after these, or after a keyword like `return`.
  const regexBefore =
    /[(,=:[!&|?{};+\-*%<>~^]$|(^|[^\w$])(return|typeof|case|do|else|in|of|void|yield|await)$/
  const braces: number[] = [] // brace depth at each open `${`, innermost last
  let depth = 0
  let i = 0
  const skipString = (q: string) => {
    i++
    while (i < src.length && src[i] !== q && src[i] !== '\n') i += src[i] === '\\' ? 2 : 1
    i++
  }
  const skipTemplate = () => {
    // From just after a backtick or `}` closing a `${…}`, to just after the closing backtick or `${`.
    while (i < src.length) {
      if (src[i] === '\\') i += 2
      else if (src[i] === '`') return void i++
      else if (src[i] === '$' && src[i + 1] === '{') {
        braces.push(depth++)
        i += 2
        return
      } else i++
    }
  }
  while (i < src.length) {
    const c = src[i]
    const next = src[i + 1]
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i)
      const stop = end === -1 ? src.length : end
      blank(i, stop)
      i = stop
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2)
      const stop = end === -1 ? src.length : end + 2
      blank(i, stop)
      i = stop
    } else if (c === "'" || c === '"') skipString(c)
    else if (c === '`') {
      i++
      skipTemplate()
    } else if (c === '/' && regexBefore.test(src.slice(Math.max(0, i - 8), i).trimEnd())) {
      i++
      let inClass = false
      while (i < src.length && src[i] !== '\n' && (inClass || src[i] !== '/')) {
        if (src[i] === '\\') i++
        else if (src[i] === '[') inClass = true
        else if (src[i] === ']') inClass = false
        i++
      }
      i++
    } else if (c === '{') {
      depth++
      i++
    } else if (c === '}') {
      depth--
      i++
      if (braces.at(-1) === depth) {
        braces.pop()
        skipTemplate()
      }
    } else i++
  }
  return out.join('')
}

const NAME = String.raw`[\w$]+`
const CLAUSE = String.raw`(?:${NAME}\s*,\s*)?(?:\{[^{}]*\}|\*(?:\s+as\s+${NAME})?|${NAME})`
const STATIC = new RegExp(
  String.raw`(?<=^|[;}\n])[ \t]*(?<kw>import|export)\s+(?<type>type\s+(?!from\b))?${CLAUSE}\s*from\s*(?<q>['"])(?<spec>[^'"\n]+)\k<q>`,
  'g',
)
const SIDE_EFFECT = /(?<=^|[;}\n])[ \t]*import\s*(?<q>['"])(?<spec>[^'"\n]+)\k<q>/g
const DYNAMIC = /(?<![\w$.])(?<tq>typeof\s+)?import\s*\(\s*(?<q>['"`])(?<spec>[^'"`\n]+)\k<q>\s*\)/g

/** Every module specifier in a source file, with its line. */
export function parseImports(src: string): Import[] {
  const code = blankComments(src)
  const lineOf = (index: number) => code.slice(0, index).split('\n').length
  const found: Import[] = []
  const add = (m: RegExpExecArray, typeOnly: boolean, dynamic: boolean) => {
    const start = m.index + (m[0].length - m[0].trimStart().length)
    found.push({
      line: lineOf(start),
      specifier: m.groups?.['spec'] ?? '',
      typeOnly,
      dynamic,
      text: m[0].trim().replace(/\s+/g, ' '),
    })
  }
  for (const m of code.matchAll(STATIC)) add(m, m.groups?.['type'] !== undefined, false)
  for (const m of code.matchAll(SIDE_EFFECT)) add(m, false, false)
  for (const m of code.matchAll(DYNAMIC)) add(m, m.groups?.['tq'] !== undefined, true)
  return found.sort((a, b) => a.line - b.line)
}

/**
 * The bindings a statement loads at runtime: names not marked `type`, 'default', or '*' for a
 * namespace, `export *`, a dynamic or side-effect import, or `import { type A }` (which
 * verbatimModuleSyntax keeps as `import {} from`). None for `import type`.
 */
export function valueNames(imp: Import): string[] {
  if (imp.typeOnly) return []
  const clause = /^(?:import|export)\s+(.*?)\s*from\b/.exec(imp.text)?.[1]
  if (imp.dynamic || clause === undefined) return ['*']
  const named = (/\{([^}]*)\}/.exec(clause)?.[1] ?? '').split(',').map((n) => n.trim())
  const other = clause
    .replace(/\{[^}]*\}/, '')
    .split(',')
    .map((n) => n.trim())
  const names = [
    ...other.filter((n) => n !== '').map((n) => (n.startsWith('*') ? '*' : 'default')),
    ...named
      .filter((n) => n !== '' && !n.startsWith('type '))
      .map((n) => n.split(/\s+as\s+/)[0] ?? n),
  ]
  return names.length > 0 ? names : ['*']
}
