import type { Field, Problem, Value } from './types'

// What the user typed turns into the value sent to the Go judge. Text that is
// no number is sent as the text itself: the judge then names the key and the
// fix ("must be an integer"), so every message comes from one place, the same
// Go contract code the scanner runs.
export function parseScalar(kind: string, text: string): Value {
  const t = text.trim()
  if (kind === 'int' && /^[+-]?\d+$/.test(t)) return Number(t)
  if (kind === 'float' && t !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t)
  return text
}

export function showScalar(value: Value | undefined): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

export function same(a: Value | undefined, b: Value | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

// The edits are the values that differ from the file; an edit put back to
// the file's value is no edit (Save then leaves that line's bytes alone).
export function diffEdits(fields: Field[], values: Record<string, Value>): Record<string, Value> {
  const out: Record<string, Value> = {}
  for (const f of fields) {
    if (f.key in values && !same(values[f.key], f.value)) out[f.key] = values[f.key]
  }
  return out
}

export function problemText(p: Problem): string {
  const parts = [`${p.key || '(file)'}: ${p.message}`]
  if (p.fix) parts.push(`fix: ${p.fix}`)
  return parts.join(' — ')
}

// A problem belongs to the field with its key; one about a table or an array
// item (`scanner.universe[2]`, `ibkr.reconnect`) goes to the closest field
// that is or holds it, and one no field owns stays in the general list.
export function ownerOf(key: string, keys: string[]): string | null {
  if (keys.includes(key)) return key
  const base = key.replace(/\[\d+\]$/, '')
  if (keys.includes(base)) return base
  const inside = keys.find((k) => k.startsWith(key + '.'))
  return inside ?? null
}

export function errorsByField(problems: Problem[], keys: string[]): { byField: Record<string, string>; other: Problem[] } {
  const byField: Record<string, string> = {}
  const other: Problem[] = []
  for (const p of problems) {
    const owner = ownerOf(p.key, keys)
    if (owner === null) {
      other.push(p)
    } else {
      byField[owner] = byField[owner] ? `${byField[owner]}; ${problemText(p)}` : problemText(p)
    }
  }
  return { byField, other }
}

export function rangeHint(f: Field): string {
  const lo = f.minimum ?? f.exclusiveMinimum
  const hi = f.maximum ?? f.exclusiveMaximum
  if (lo == null && hi == null) return ''
  const left = lo == null ? '' : `${lo} ${f.exclusiveMinimum != null ? '<' : '≤'} `
  const right = hi == null ? '' : ` ${f.exclusiveMaximum != null ? '<' : '≤'} ${hi}`
  return `${left}value${right}`
}

export function shortHash(sha: string | undefined | null): string {
  return sha ? sha.slice(0, 12) : '—'
}

// Calls fn once the user has stopped typing for `ms`; a result that comes
// back after a newer call started is dropped by the caller's sequence check.
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  const call = (...args: A) => {
    clearTimeout(timer)
    timer = setTimeout(() => fn(...args), ms)
  }
  call.cancel = () => clearTimeout(timer)
  return call
}

// An error from a bound method arrives as a string (the Go error's text,
// written for the user) or as an Error; show either as is.
export function message(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
