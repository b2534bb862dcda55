import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  compiledFile,
  DECLARATION,
  validatorSource,
} from '../../../collectors/contracts/compile-schemas.ts'
import { ODCS_VERSIONS } from '../../../collectors/contracts/schema.ts'

describe('the ODCS validators compiled ahead of time', () => {
  it.each(ODCS_VERSIONS)('%s is what npm run schemas:compile writes from its schema', (v) => {
    expect(readFileSync(compiledFile(v, 'js'), 'utf8') === validatorSource(v)).toBe(true)
    expect(readFileSync(compiledFile(v, 'd.ts'), 'utf8')).toBe(DECLARATION)
  })
})
