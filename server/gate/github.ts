import type { GateReport } from './types.ts'

// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
const escapeData = (s: string): string =>
  s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
const escapeProperty = (s: string): string =>
  escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')

/**
 * GitHub workflow `::error` commands, one per regression (`::warning` per waived one), pointing
 * at the model's file; `prefix` turns project-relative paths into repository-relative ones.
 */
export function renderAnnotations(r: GateReport, prefix = ''): string[] {
  return r.checks.flatMap((c) => {
    if (c.status === 'pass') return []
    const props: string[] = []
    if (c.location) {
      props.push(`file=${escapeProperty(joinPath(prefix, c.location.file))}`)
      props.push(`line=${c.location.line ?? 1}`)
    }
    props.push(`title=${escapeProperty(`meshwatch gate: ${c.name}`)}`)
    const level = c.status === 'fail' ? 'error' : 'warning'
    const body = [
      c.message,
      ...c.details,
      ...(c.waiver ? [`waived until ${c.waiver.expires}: ${c.waiver.reason}`] : []),
    ].join('\n')
    return [`::${level} ${props.join(',')}::${escapeData(body)}`]
  })
}

const joinPath = (prefix: string, file: string): string =>
  prefix === '' || prefix === '.'
    ? file
    : `${prefix.replace(/\/+$/, '')}/${file.replace(/^\.\//, '')}`
