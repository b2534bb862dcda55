// The token the page acts with (acknowledge, mute, resolve; reads when the API needs a token):
// kept in this tab's sessionStorage only, sent as a bearer header, never written into the page.
const KEY = 'meshwatch.token'

// The part of Storage used here: web/api.ts (which imports this) is type-checked for node too.
interface TabStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

const store = (): TabStorage | undefined => {
  try {
    // reading it throws where storage is blocked (a sandboxed frame)
    return (globalThis as { sessionStorage?: TabStorage }).sessionStorage
  } catch {
    return undefined
  }
}

export const getToken = (): string | null => store()?.getItem(KEY) ?? null

export function setToken(token: string): void {
  store()?.setItem(KEY, token.trim())
}

export function clearToken(): void {
  store()?.removeItem(KEY)
}

/** The Authorization header of every API call, when this tab was given a token. */
export function authHeaders(): Record<string, string> {
  const t = getToken()
  return t ? { authorization: `Bearer ${t}` } : {}
}
