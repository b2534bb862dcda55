import { describe, expect, it } from 'vitest'
import { emptyBatch } from '../../collectors/batch.ts'
import { openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { pushBatch } from '../../server/push.ts'
import { sqliteStore } from '../../db/store.ts'

const batch = () => {
  const b = emptyBatch('dbt', 'dbt:sales')
  b.domains.push({ name: 'sales' })
  return b
}

describe('pushBatch (collect … --server)', () => {
  it('retries a 503 and then stores the batch once', async () => {
    const app = createApp({ store: sqliteStore(openDb(':memory:')) })
    let calls = 0
    const flaky: typeof fetch = async (input, init) => {
      calls++
      if (calls === 1)
        return new Response('{"error":{"code":"busy","message":"busy"}}', { status: 503 })
      return app.request(String(input), init)
    }
    const r = await pushBatch('http://meshwatch.test', batch(), { fetch: flaky, retryDelayMs: 1 })
    expect(calls).toBe(2)
    expect(r).toMatchObject({ duplicate: false, counts: { domains: 1 } })
  })

  it('does not retry a 4xx and says what the server said', async () => {
    const app = createApp({ store: sqliteStore(openDb(':memory:')) })
    let calls = 0
    const counting: typeof fetch = async (input, init) => {
      calls++
      return app.request(String(input), { ...init, body: '{"kind":"spark"}' })
    }
    await expect(
      pushBatch('http://meshwatch.test', batch(), { fetch: counting, retryDelayMs: 1 }),
    ).rejects.toThrow(/answered 422: invalid batch/)
    expect(calls).toBe(1)
  })
})
