import type { config } from '../../wailsjs/go/models'

// A value left out of config.toml falls back to the schema default; say so
// instead of showing an empty cell.
export function shownValue(field: config.Field): string {
  if (field.set) {
    return field.value
  }
  return field.default === '' ? '(not set)' : `${field.default} (default)`
}

export function countFields(view: config.View | null): number {
  return view ? view.sections.reduce((n, s) => n + s.fields.length, 0) : 0
}
