import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SILENT } from '../../server/deps.ts'
import { startServer, type ServeOptions } from '../../server/main.ts'

/**
 * `startServer` on a fresh SQLite file in a new temporary folder (`prefix` names it), on a free
 * port of 127.0.0.1, without the demo and silent: for tests over real HTTP. `close` stops the
 * server and its periodic work and closes the store.
 */
export async function startTestServer(prefix: string, opts: Partial<ServeOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const s = await startServer({
    dbFile: join(dir, 'm.db'),
    port: 0,
    host: '127.0.0.1',
    demo: false,
    log: SILENT,
    ...opts,
  })
  return { url: s.url, db: s.db, dir, close: s.close }
}
