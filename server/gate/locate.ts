import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { GateReport } from './types.ts'

interface YmlFile {
  file: string
  lines: string[]
}

const nameLine = (line: string): { indent: number; name: string } | undefined => {
  const m = /^(\s*)-\s+name:\s*['"]?([^'"#\s]+)['"]?\s*(#.*)?$/.exec(line)
  return m ? { indent: m[1]?.length ?? 0, name: m[2] ?? '' } : undefined
}

/** The yml line declaring `model` and, below it, its `column` (1-based), if any file has it. */
export function findInYml(
  files: readonly YmlFile[],
  model: string,
  column?: string,
): { file: string; line: number } | undefined {
  for (const f of files) {
    const start = f.lines.findIndex((l) => nameLine(l)?.name === model)
    if (start < 0) continue
    const indent = nameLine(f.lines[start] ?? '')?.indent ?? 0
    if (column) {
      for (let i = start + 1; i < f.lines.length; i++) {
        const n = nameLine(f.lines[i] ?? '')
        if (n && n.indent <= indent) break
        if (n && n.name.toLowerCase() === column.toLowerCase()) return { file: f.file, line: i + 1 }
      }
    }
    return { file: f.file, line: start + 1 }
  }
  return undefined
}

async function ymlFiles(dir: string, root: string, out: YmlFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const e of entries) {
    const path = join(dir, e.name)
    if (
      e.isDirectory() &&
      !['target', 'dbt_packages', 'logs', 'node_modules'].includes(e.name) &&
      !e.name.startsWith('.')
    ) {
      await ymlFiles(path, root, out)
    } else if (e.isFile() && /\.ya?ml$/.test(e.name)) {
      out.push({ file: relative(root, path), lines: (await readFile(path, 'utf8')).split(/\r?\n/) })
    }
  }
}

/**
 * Points each located check at the yml line of its model (or of its column) under `projectDir`
 * when one is found; otherwise it stays at its .sql file, line 1. Cheap: one scan of models/.
 */
export async function locateInProject(report: GateReport, projectDir: string): Promise<GateReport> {
  const files: YmlFile[] = []
  await ymlFiles(join(projectDir, 'models'), projectDir, files)
  if (files.length === 0) return report
  const checks = report.checks.map((c) => {
    if (!c.location?.model || c.status === 'pass') return c
    const hit = findInYml(files, c.location.model, c.location.column)
    return hit ? { ...c, location: { ...c.location, file: hit.file, line: hit.line } } : c
  })
  return { ...report, checks }
}
