// The bytes (and UTF-16 code units) of JSON's structure, for the scanners that find values by
// their delimiters without parsing them: the lean manifest read (collectors/dbt/json-scan.ts),
// the sliced body parser (server/json-slices.ts) and the batch codec (db/queries/batch-codec.ts).
export const QUOTE = 0x22
export const BACKSLASH = 0x5c
export const OPEN_OBJ = 0x7b
export const CLOSE_OBJ = 0x7d
export const OPEN_ARR = 0x5b
export const CLOSE_ARR = 0x5d
export const COLON = 0x3a
export const COMMA = 0x2c
