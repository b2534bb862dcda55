import { readFile } from 'node:fs/promises'
import { CollectorError, type Batch } from '../batch.ts'
import { parseJunitXml, type ParseJunitOptions } from './parse.ts'

export { datasetOf, parseJunitXml } from './parse.ts'
export type { ParseJunitOptions } from './parse.ts'

/** Reads one JUnit XML file into a 'junit' batch (see parseJunitXml for the dataset mapping). */
export async function readJunitFile(
  file: string,
  opts: Omit<ParseJunitOptions, 'file'>,
): Promise<Batch> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new CollectorError(`${file}: cannot read`, { file, cause })
  }
  return parseJunitXml(text, { ...opts, file })
}
