// What a secret looks like, for the collectors (run parameters withheld), the log and the API
// (stored JSON shown with its secrets withheld) alike. Pure: no imports (STYLE.md §1), so the
// CLI's first chunk can redact without loading a parser.

/** Keys whose values are secrets: their values are never shown. */
export const SECRET_KEY =
  /pass(word|wd)?\b|secret|token|api[_-]?key|credential|private[_-]?key|authorization/i
