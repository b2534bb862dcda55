import { loadConfig } from '../config.ts'

/** Bad usage or unreadable input: exit code 2 with the reason. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const dbFileOf = (opts: { db?: string }): string => {
  if (opts.db) return opts.db
  const cfg = loadConfig(process.env)
  if (!cfg.ok) throw new UsageError(`bad environment: ${cfg.message}`)
  return cfg.env.MESHWATCH_DB
}

/** Progress on a TTY only, so CI logs and pipes stay clean. */
export function progress(label: string): {
  step(done: number, total: number, what?: string): void
  end(): void
} {
  const tty = process.stderr.isTTY === true
  return {
    step(done, total, what) {
      if (!tty) return
      process.stderr.write(`\r${label} ${done}/${total}${what ? ` ${what}` : ''}\u001b[K`)
    },
    end() {
      if (tty) process.stderr.write('\n')
    },
  }
}
