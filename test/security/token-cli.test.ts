import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseExpiry } from '../../server/commands/token.ts'
import { runCli, startServerProcess } from '../reliability/child.ts'

const work = mkdtempSync(join(tmpdir(), 'mw-token-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('meshwatch token', () => {
  it('creates a token shown once, lists it without its value, and a revoke takes effect on a running server', async () => {
    const db = join(work, 'tokens.db')
    const created = await runCli([
      'token',
      'create',
      '--scope',
      'ingest',
      '--domain',
      'sales',
      '--name',
      'ci',
      '--expires',
      '30d',
      '--db',
      db,
    ])
    expect(created.code, created.stderr).toBe(0)
    const token = created.stdout.trim()
    expect(token).toMatch(/^mw_[A-Za-z0-9_-]{43}$/)
    expect(created.stderr).toContain('shown only this once')

    const list = await runCli(['token', 'list', '--json', '--db', db])
    expect(list.code).toBe(0)
    expect(list.stdout).not.toContain(token)
    const rows = JSON.parse(list.stdout) as {
      id: number
      name: string
      scope: string
      domain: string
      status: string
    }[]
    expect(rows).toMatchObject([{ name: 'ci', scope: 'ingest', domain: 'sales', status: 'active' }])

    // auto (the default): the existing token makes auth required.
    const server = await startServerProcess(db, { MESHWATCH_AUTH: 'auto' })
    try {
      const get = (t?: string) =>
        fetch(
          `${server.url}/api/products`,
          t ? { headers: { authorization: `Bearer ${t}` } } : {},
        ).then((r) => r.status)
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200)
      expect(await get()).toBe(401)
      expect(await get(token)).toBe(200)
      const revoked = await runCli(['token', 'revoke', String(rows[0]?.id), '--db', db])
      expect(revoked.code, revoked.stderr).toBe(0)
      expect(await get(token)).toBe(401)
      expect(server.stderr()).not.toContain(token)
    } finally {
      await server.kill('SIGTERM')
    }
  }, 30_000)

  it.concurrent.each([
    { args: ['--scope', 'root'], message: '--scope root' },
    { args: ['--scope', 'admin', '--domain', 'sales'], message: '--domain' },
    { args: ['--scope', 'read', '--expires', 'soon'], message: '--expires soon' },
    { args: ['--scope', 'read', '--expires', '2001-01-01'], message: 'in the past' },
  ])('refuses bad usage ($message) with exit code 2', async ({ args, message }) => {
    const r = await runCli(['token', 'create', ...args, '--db', join(work, 'bad.db')])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(message)
    expect(r.stdout).toBe('')
  })

  it.each([
    { text: '30d', expected: '2026-01-31T00:00:00.000Z' },
    { text: '12h', expected: '2026-01-01T12:00:00.000Z' },
    { text: '2w', expected: '2026-01-15T00:00:00.000Z' },
    { text: '2026-06-30', expected: '2026-06-30T00:00:00.000Z' },
    { text: 'never', expected: undefined },
  ])('reads --expires $text', ({ text, expected }) => {
    expect(parseExpiry(text, new Date('2026-01-01T00:00:00Z'))).toBe(expected)
  })
})
