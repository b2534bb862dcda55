import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { serve, type ServerType } from '@hono/node-server'
import { readContracts } from '../../../collectors/contracts/read.ts'
import { closeDb, openDb } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import { ingestContracts } from '../../../server/contracts/ingest.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import { DOMAINS, goodDir, goodMesh, NS, ROOT, variantDir } from './helpers.ts'
import { sqliteStore } from '../../../db/store.ts'

const exec = promisify(execFile)

async function meshwatch(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec('node', [`${ROOT}dist/cli.js`, ...args], {
      cwd: ROOT,
      env: { ...process.env, GITHUB_ACTIONS: '', ...env },
    })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

const baseline = [
  '--baseline',
  ...DOMAINS.map(goodDir),
  '--namespace',
  NS,
  '--config',
  'fixtures/meshwatch.yml',
]

describe('meshwatch gate exit codes and files', () => {
  it('exits 1 when a PR deletes a public model that a consumer given as --mesh carries a copy of', async () => {
    // fixtures/gate/removed: sales deletes orders; finance and marketing carry dbt-loom copies
    const r = await meshwatch([
      'gate',
      '--current',
      variantDir('removed'),
      '--baseline',
      goodDir('sales'),
      '--mesh',
      goodDir('finance'),
      goodDir('marketing'),
      goodDir('product'),
      '--namespace',
      NS,
      '--config',
      'fixtures/meshwatch.yml',
    ])
    expect(r.stdout).toContain(
      'breaking change to public model mesh.sales.orders: the model was removed',
    )
    expect(r.code).toBe(1)
  })

  it('exits 0 on the additive variant', async () => {
    const r = await meshwatch(['gate', '--current', variantDir('additive'), ...baseline])
    expect(r.stdout).toMatch(/^meshwatch gate: PASSED/)
    expect(r.code).toBe(0)
  })

  it('exits 1 on the breaking variant and writes JUnit, Markdown, the step summary and annotations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-'))
    const summary = join(dir, 'summary.md')
    const r = await meshwatch(
      [
        'gate',
        '--current',
        variantDir('breaking'),
        ...baseline,
        '--project-dir',
        'fixtures/gate/overlays/breaking/sales',
        '--junit',
        join(dir, 'j.xml'),
        '--markdown',
        join(dir, 'pr.md'),
      ],
      { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: ROOT },
    )
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('column channel removed')
    expect(r.stdout).toContain(
      '::error file=fixtures/gate/overlays/breaking/sales/models/marts/_sales__models.yml,line=2,',
    )
    expect(r.stdout).toContain(
      '::error file=fixtures/gate/overlays/breaking/sales/models/marts/_sales__models.yml,line=38,',
    )
    expect(readFileSync(join(dir, 'j.xml'), 'utf8')).toContain(
      '<failure message="breaking change to public model mesh.sales.orders',
    )
    expect(readFileSync(summary, 'utf8')).toBe(`${readFileSync(join(dir, 'pr.md'), 'utf8')}\n`)
  })

  it('takes the baseline contracts from --server: exits 1 on a weakened SLA, 2 with --baseline-contracts too', async () => {
    const db = openDb(':memory:')
    const deps = { store: sqliteStore(db) }
    for (const b of await goodMesh()) await ingestBatch(deps, b)
    await ingestContracts(deps, readContracts([`${ROOT}fixtures/gate/contracts/baseline`]))
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(s),
      )
    })
    try {
      const address = server.address()
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
      const args = ['gate', '--current', variantDir('unchanged'), '--server', url]
      const contracts = (v: string) => ['--contracts', `fixtures/gate/contracts/${v}`]
      const weakened = await meshwatch([...args, ...contracts('weakened'), '--namespace', NS])
      expect(weakened.stdout).toContain('SLA property latency weakened from 1 d to 4 d')
      expect(weakened.code).toBe(1)
      const both = await meshwatch([
        ...args,
        ...contracts('unchanged'),
        '--baseline-contracts',
        'fixtures/gate/contracts/baseline',
      ])
      expect(both.stderr).toMatch(/--baseline-contracts and --server are alternatives/)
      expect(both.code).toBe(2)
    } finally {
      server.close()
      closeDb(db)
    }
  }, 180_000)

  it.each([
    {
      name: 'no baseline',
      args: ['gate', '--current', variantDir('breaking')],
      err: /give a baseline/,
    },
    {
      name: 'an unreadable current dir',
      args: ['gate', '--current', '/nonexistent/target', ...baseline],
      err: /not a directory/,
    },
    { name: 'a missing option value', args: ['gate'], err: /--current/ },
    {
      name: 'a bad config',
      args: [
        'gate',
        '--current',
        variantDir('additive'),
        '--baseline',
        goodDir('sales'),
        '--namespace',
        NS,
        '--config',
        'package.json',
      ],
      err: /bad config/,
    },
  ])('exits 2 on $name', async ({ args, err }) => {
    const r = await meshwatch(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(err)
  })
})
