import { Hono } from 'hono'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { ForeignWriteError } from '../../db/queries/authorize.ts'
import { SILENT } from '../../server/deps.ts'
import { fail } from '../../server/errors.ts'
import { handleError } from '../../server/fallback.ts'
import { InvalidBatchError, parseBatch } from '../../server/ingest.ts'
import { validate } from '../../server/validate.ts'

// Every refused request is answered by the app's one onError: routes and validators throw.
function appThrowing(fn: () => unknown, onError = true) {
  const app = new Hono().get('/x', () => {
    fn()
    return new Response('not refused')
  })
  if (onError) app.onError(handleError(SILENT))
  return app
}

describe('the one error path (onError)', () => {
  it.each([
    {
      name: 'an invalid batch',
      fn: () => parseBatch({ kind: 'dbt' }),
      status: 422,
      code: 'invalid_batch',
      path: '$.scope',
    },
    {
      name: 'an InvalidBatchError thrown deep below a route',
      fn: () => {
        throw new InvalidBatchError('invalid batch: $.edges[0]: bad', '$.edges[0]')
      },
      status: 422,
      code: 'invalid_batch',
      path: '$.edges[0]',
    },
    {
      name: "a write to another domain's dataset",
      fn: () => {
        throw new ForeignWriteError({
          message: 'dataset a.b is owned by domain sales',
          path: '$.datasets[0]',
          what: 'dataset',
          ref: 'a.b',
        })
      },
      status: 403,
      code: 'forbidden',
      path: '$.datasets[0]',
    },
    {
      name: 'fail()',
      fn: () => fail(413, 'payload_too_large', 'too big', '$'),
      status: 413,
      code: 'payload_too_large',
      path: '$',
    },
  ])('answers $name in the JSON error shape', async ({ fn, status, code, path }) => {
    const res = await appThrowing(fn).request('/x')
    expect(res.status).toBe(status)
    const body = (await res.json()) as { error: { code: string; message: string; path: string } }
    expect(body.error).toMatchObject({ code, path })
    expect(body.error.message).not.toMatch(/\bat .*:\d+:\d+/)
  })

  it('answers invalid input to a validator only through onError', async () => {
    const make = (onError: boolean) => {
      const app = new Hono().get(
        '/q',
        validate('query', z.object({ limit: z.coerce.number().int().min(1) })),
        (c) => c.json({ limit: c.req.valid('query').limit }),
      )
      if (onError) app.onError(handleError(SILENT))
      return app
    }
    const res = await make(true).request('/q?limit=0')
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({
      error: { code: 'invalid_request', path: '$.limit' },
    })
    expect((await make(true).request('/q?limit=3')).status).toBe(200)
    // Without the app's onError nothing answers it in the API's shape: the validator throws.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    expect((await make(false).request('/q?limit=0')).status).toBe(500)
    quiet.mockRestore()
  })
})
