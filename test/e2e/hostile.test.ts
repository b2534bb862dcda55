import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emptyBatch } from '../../collectors/batch.ts'
import { buildWeb, launchChromium, startMeshwatch, type RunningServer } from './harness.ts'

// Names, owners, descriptions, test messages and facet texts that are markup: every view of the
// page must show them as text. Each payload records in window.__xss if it ever runs.
const run = (tag: string) =>
  `<img src=x onerror="window.__xss.push('${tag}');alert('${tag}')"><script>window.__xss.push('${tag}-s')</script><svg onload="window.__xss.push('${tag}-v')"></svg>"'><iframe src="javascript:parent.__xss.push('${tag}-f')"></iframe>`
const NS = 'duckdb://mesh'

let server: RunningServer
let browser: Awaited<ReturnType<typeof launchChromium>>
let context: BrowserContext
let page: Page
const dialogs: string[] = []
let datasetId = 0
const productId = `evil.${run('pid')}`

function hostileBatch() {
  const b = emptyBatch('dbt', 'dbt:evil')
  const ds = { namespace: NS, name: `mesh.evil.${run('dsname')}` }
  const up = { namespace: NS, name: `mesh.evil.${run('upname')}` }
  const job = { namespace: 'default', name: `evil.${run('jobname')}` }
  b.domains.push({ name: 'evil', owner: run('domainowner'), description: run('domaindesc') })
  b.datasets.push(
    {
      ...ds,
      domain: 'evil',
      owner: run('dsowner'),
      description: run('dsdesc'),
      columns: [{ name: run('colname'), type: run('coltype'), description: run('coldesc') }],
    },
    { ...up, domain: 'evil', description: run('updesc') },
  )
  b.jobs.push({
    ...job,
    type: 'dbt_model',
    domain: 'evil',
    owner: run('jobowner'),
    description: run('jobdesc'),
  })
  b.edges.push({ job, dataset: ds, direction: 'output' }, { job, dataset: up, direction: 'input' })
  b.checks.push({
    key: 'evil-check',
    dataset: ds,
    kind: 'not_null',
    name: run('checkname'),
    severity: 'error',
    origin: 'dbt',
  })
  b.assertions.push({
    key: 'evil-check',
    dataset: ds,
    name: run('assertname'),
    status: 'fail',
    severity: 'error',
    observedAt: new Date().toISOString(),
    origin: 'dbt',
    message: run('testmessage'),
  })
  b.products.push({
    id: productId,
    name: run('productname'),
    domain: 'evil',
    owner: run('productowner'),
    description: run('productdesc'),
    origin: 'dbt_public',
    outputs: [ds],
  })
  return { batch: b, ds }
}

/** An OpenLineage event whose facet texts (docs, error message, owners, schema) are markup. */
function hostileEvent(ds: { namespace: string; name: string }) {
  const facet = {
    _producer: 'https://example.com/evil',
    _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/X.json',
  }
  return {
    eventType: 'FAIL',
    eventTime: new Date().toISOString(),
    producer: 'https://example.com/evil',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: {
      runId: '01930000-0000-7000-8000-00000000e5e5',
      facets: {
        errorMessage: { ...facet, message: run('olerror'), programmingLanguage: run('ollang') },
      },
    },
    job: {
      namespace: 'default',
      name: `evil.${run('oljob')}`,
      facets: {
        documentation: { ...facet, description: run('oljobdoc') },
        ownership: { ...facet, owners: [{ name: run('olowner') }] },
      },
    },
    inputs: [],
    outputs: [
      {
        ...ds,
        facets: {
          documentation: { ...facet, description: run('oldsdoc') },
          schema: {
            ...facet,
            fields: [{ name: run('olfield'), type: 'text', description: run('olfielddesc') }],
          },
        },
      },
    ],
  }
}

beforeAll(async () => {
  buildWeb()
  server = await startMeshwatch({ args: ['--no-demo'] })
  const { batch, ds } = hostileBatch()
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  }
  await post('/api/batches', batch)
  await post('/api/v1/lineage', hostileEvent(ds))
  const found = (await (
    await fetch(
      `${server.url}/api/datasets?namespace=${encodeURIComponent(ds.namespace)}&name=${encodeURIComponent(ds.name)}`,
    )
  ).json()) as { id: number }
  datasetId = found.id
  browser = await launchChromium()
  context = browser.context
  await context.addInitScript('window.__xss = []')
  page = await context.newPage()
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const ran = async () => (await page.evaluate('window.__xss')) as string[]
const ready = async () => page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 })

describe('hostile names and texts in the web view', () => {
  it.each([
    { view: 'mesh home', path: () => '/', shows: 'domainowner' },
    { view: 'catalog', path: () => '/products', shows: 'productname' },
    {
      view: 'product',
      path: () => `/products/${encodeURIComponent(productId)}`,
      shows: 'assertname',
    },
    { view: 'lineage overview', path: () => '/lineage', shows: '' },
    { view: 'lineage of the domain', path: () => '/lineage?domain=evil', shows: '' },
    {
      view: 'lineage focused on the dataset',
      path: () => `/lineage?node=${encodeURIComponent(`dataset:${datasetId}`)}`,
      shows: '',
    },
  ])('$view: nothing runs, the markup is shown as text', async ({ path, shows }) => {
    await page.goto(`${server.url}${path()}`)
    await ready()
    // Let images fail, frames load and handlers fire, if any were created.
    await page.waitForLoadState('networkidle')
    expect(await ran()).toEqual([])
    expect(dialogs).toEqual([])
    // No element was made from the markup: it is all text nodes.
    const made = await page.evaluate(
      `[...document.querySelectorAll('img[src="x"], iframe, [onload], [onerror], script')].filter((e) => !e.src || e.getAttribute('src') === 'x').length`,
    )
    expect(made).toBe(0)
    if (shows)
      expect(await page.locator('body').innerText()).toContain(`window.__xss.push('${shows}')`)
  })

  it('the details panel of each clicked node: nothing runs, names and owners are text', async () => {
    await page.goto(`${server.url}/lineage?node=${encodeURIComponent(`dataset:${datasetId}`)}`)
    await ready()
    await page.waitForSelector('#cy[data-ready="true"]', { timeout: 30_000 })
    const ids = (await page.evaluate('window.meshwatchCy.nodes().map((n) => n.id())')) as string[]
    for (const id of ids.slice(0, 6)) {
      const pos = (await page.evaluate(`(() => {
        const bb = window.meshwatchCy.getElementById(${JSON.stringify(id)}).renderedBoundingBox()
        const rect = document.getElementById('cy').getBoundingClientRect()
        return { x: rect.left + bb.x1 + bb.w / 2, y: rect.top + bb.y1 + Math.min(bb.h / 2, 12) }
      })()`)) as { x: number; y: number }
      await page.mouse.click(pos.x, pos.y)
      await page.waitForTimeout(200)
    }
    await page.waitForLoadState('networkidle')
    expect(await ran()).toEqual([])
    expect(dialogs).toEqual([])
    expect(await page.locator('body').innerText()).toMatch(
      /window\.__xss\.push\('(dsowner|dsname|oljob|jobname)'\)/,
    )
  })
})
