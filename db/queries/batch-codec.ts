import { createHash } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'

/** Items serialized and compressed per gzip member: bounds the memory a big batch needs. */
const ITEMS_PER_MEMBER = 2000

/**
 * A batch as stored for replay: its JSON text as concatenated gzip members, and the sha256 of
 * that text (the redelivery key). The text equals JSON.stringify(batch), but is produced and
 * compressed a piece at a time, so a 10k-model batch (~40 MB of JSON) never exists as one string.
 */
export function encodeBatch(batch: object): { contentHash: string; payload: Buffer } {
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
        const items = JSON.stringify(value.slice(i, i + ITEMS_PER_MEMBER))
        emit(`${i === 0 ? '' : ','}${items.slice(1, -1)}`, ITEMS_PER_MEMBER)
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
  return { contentHash: hash.digest('hex'), payload: Buffer.concat(members) }
}

/** The JSON text of a stored batch payload. */
export function decodeBatchPayload(payload: Buffer): string {
  // gunzip reads every concatenated member.
  return gunzipSync(payload).toString('utf8')
}
