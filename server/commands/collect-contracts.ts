import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { findContractFiles, readContracts } from '../../collectors/contracts/read.ts'
import type { StoredContract } from '../../db/queries/contracts.ts'
import { ingestContracts } from '../contracts/ingest.ts'
import { pushContracts } from '../contracts/push.ts'
import { openLocalStore } from './local-store.ts'
import { addSinkOptions, type SinkOptions } from './sink.ts'

export function registerCollectContracts(collect: Command): void {
  addSinkOptions(
    collect
      .command('contracts')
      .description(
        'read ODCS v3.0.x / v3.1.0 data contracts (*.odcs.yaml, *.odcs.json) from files or dirs',
      )
      .argument('<path...>', 'contract files, or directories searched for *.odcs.yaml|yml|json'),
  ).action(async (paths: string[], o: SinkOptions) => {
    // Every file is parsed and validated first: one invalid contract refuses the whole command.
    const docs = readContracts(paths)
    let stored: StoredContract[]
    if (o.server) {
      const files = findContractFiles(paths)
      stored = await pushContracts(
        o.server,
        { contracts: files.map((file) => ({ file, text: readFileSync(file, 'utf8') })) },
        { token: o.token ?? process.env.MESHWATCH_TOKEN },
      )
    } else {
      const store = await openLocalStore(o)
      try {
        stored = await ingestContracts(store.deps, docs)
      } finally {
        store.close()
      }
    }
    for (const s of stored) {
      for (const w of s.warnings) process.stderr.write(`warning: ${w}\n`)
      process.stdout.write(
        `${s.file}: contract ${s.contractId} ${s.version}${s.duplicate ? ' unchanged (already collected)' : ' stored'}\n`,
      )
    }
  })
}
