import { createHash } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'
import {
  BACKSLASH,
  CLOSE_ARR,
  CLOSE_OBJ,
  COMMA,
  OPEN_ARR,
  OPEN_OBJ,
  QUOTE,
} from '../../common/json-bytes.ts'

/** Items serialized and compressed per gzip member: bounds the memory a big batch needs. */
const ITEMS_PER_MEMBER = 2000

export type EncodedBatch = {
  contentHash: string
  payload: Buffer
  /**
   * The JSON text of each dataset's `columns` array as the payload holds it (JSON.stringify of
   * the array), by the array: the store writes this text to datasets.columns rather than
   * stringifying the columns a second time (~20 MB of JSON in a 10k-model collect).
   */
  columnsJson: ReadonlyMap<object, string>
}

/**
 * A batch as stored for replay: its JSON text as concatenated gzip members, and the sha256 of
 * that text (the redelivery key). The text equals JSON.stringify(batch), but is produced and
 * compressed a piece at a time, so a 10k-model batch (~40 MB of JSON) never exists as one string.
 */
export function encodeBatch(batch: object): EncodedBatch {
  const columnsJson = new Map<object, string>()
  const hash = createHash('sha256')
  const members: Buffer[] = []
  let pending: string[] = []
  let pendingItems = 0
  const emit = (text: string, items = 0) => {
    pending.push(text)
    pendingItems += items
    if (pendingItems >= ITEMS_PER_MEMBER) flush()
  }
  const flush = () => {
    if (pending.length === 0) return
    // encoded to UTF-8 once, for the hash and gzip alike (each would encode the string itself)
    const bytes = Buffer.from(pending.join(''), 'utf8')
    hash.update(bytes)
    members.push(gzipSync(bytes, { level: 1 }))
    pending = []
    pendingItems = 0
  }
  let first = true
  emit('{')
  for (const [key, value] of Object.entries(batch)) {
    const head = `${first ? '' : ','}${JSON.stringify(key)}:`
    if (Array.isArray(value)) {
      emit(`${head}[`)
      // a member's items stringified as one array, its brackets cut off: the same text as
      // item by item joined with commas, without a string (and a call) per item
      for (let i = 0; i < value.length; i += ITEMS_PER_MEMBER) {
        const slice = value.slice(i, i + ITEMS_PER_MEMBER)
        const items =
          key === 'datasets' ? datasetsText(slice, columnsJson) : JSON.stringify(slice).slice(1, -1)
        emit(`${i === 0 ? '' : ','}${items}`, ITEMS_PER_MEMBER)
      }
      emit(']')
    } else {
      const text = JSON.stringify(value)
      if (text === undefined) continue
      emit(head + text)
    }
    first = false
  }
  emit('}')
  flush()
  return { contentHash: hash.digest('hex'), payload: Buffer.concat(members), columnsJson }
}

/**
 * The datasets' JSON.stringify text, items joined by commas, without the brackets; each item's
 * `columns` member is found in that text and kept in `columnsJson` (a member of an object that
 * has no toJSON reads as JSON.stringify of its value), so no columns array is stringified twice.
 */
function datasetsText(items: unknown[], columnsJson: Map<object, string>): string {
  const text = JSON.stringify(items)
  let i = 1
  for (const d of items) {
    const columns = plainColumns(d)
    if (columns && text.charCodeAt(i) === OPEN_OBJ) {
      // the item's members: key, colon, value, comma (JSON.stringify writes no whitespace)
      let j = i + 1
      while (text.charCodeAt(j) === QUOTE) {
        const keyEnd = stringEnd(text, j)
        const valueAt = keyEnd + 1
        const end = valueEnd(text, valueAt)
        if (keyEnd - j === COLUMNS_KEY.length && text.startsWith(COLUMNS_KEY, j)) {
          columnsJson.set(columns, text.slice(valueAt, end))
        }
        j = end
        if (text.charCodeAt(j) !== COMMA) break
        j++
      }
      i = j + 1
    } else i = valueEnd(text, i)
    i++ // the comma after the item
  }
  return text.slice(1, -1)
}

/** The columns array of a dataset that JSON.stringify writes member by member. */
function plainColumns(d: unknown): unknown[] | undefined {
  if (d === null || typeof d !== 'object' || Array.isArray(d) || 'toJSON' in d) return undefined
  const columns = (d as { columns?: unknown }).columns
  return Array.isArray(columns) ? columns : undefined
}

const COLUMNS_KEY = '"columns"'

/** In JSON.stringify's text: the index after the string that opens at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1
  for (;;) {
    const q = text.indexOf('"', j)
    if (q < 0) throw new Error('batch-codec: unterminated string')
    let back = 0
    while (text.charCodeAt(q - 1 - back) === BACKSLASH) back++
    if (back % 2 === 0) return q + 1
    j = q + 1
  }
}

/** In JSON.stringify's text: the index after the value that starts at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i)
  if (c === QUOTE) return stringEnd(text, i)
  let j = i
  if (c !== OPEN_OBJ && c !== OPEN_ARR) {
    // a number, true, false or null: up to the comma or bracket after it
    while (j < text.length) {
      const d = text.charCodeAt(j)
      if (d === COMMA || d === CLOSE_OBJ || d === CLOSE_ARR) break
      j++
    }
    return j
  }
  let depth = 0
  while (j < text.length) {
    const d = text.charCodeAt(j)
    if (d === QUOTE) {
      j = stringEnd(text, j)
      continue
    }
    if (d === OPEN_OBJ || d === OPEN_ARR) depth++
    else if ((d === CLOSE_OBJ || d === CLOSE_ARR) && --depth === 0) return j + 1
    j++
  }
  throw new Error('batch-codec: unterminated value')
}

/** The JSON text of a stored batch payload. */
export function decodeBatchPayload(payload: Buffer): string {
  // gunzip reads every concatenated member.
  return gunzipSync(payload).toString('utf8')
}
