// The shapes the Go back end sends and takes (shared/helpers/APP-API.md).
// They are written here as plain interfaces rather than taken from the
// generated wailsjs/go/models.ts classes: the components and their tests then
// depend on the JSON, not on how Wails names the Go packages; api.ts is the
// one file that meets the generated bindings.

export type Kind = 'bool' | 'int' | 'float' | 'enum' | 'string' | 'array'
export type ItemKind = 'string' | 'int' | 'float'
export type Value = boolean | number | string | null | Value[] | { [key: string]: Value }

export interface Problem {
  key: string
  value: string
  message: string
  fix: string
}

export interface Field {
  key: string
  label: string
  description: string
  kind: Kind | string
  itemKind?: ItemKind | string
  unit: string
  enum?: string[] | null
  minimum?: number | null
  maximum?: number | null
  exclusiveMinimum?: number | null
  exclusiveMaximum?: number | null
  pattern?: string
  minItems?: number | null
  maxItems?: number | null
  uniqueItems?: boolean
  allowed?: string // what it accepts, in words ("a whole number from 1 to 100")
  default?: Value
  value?: Value
  secret?: boolean
  live?: boolean
}

export interface Tab {
  name: string
  title: string
  description?: string
  fields: Field[]
}

export interface Form {
  path: string
  sha256: string
  tabs: Tab[] | null
  problems: Problem[] | null
  loadError: string
}

export interface Judgement {
  ok: boolean
  problems: Problem[] | null
  sha256: string
  needsLiveConfirm: boolean
}

export interface Preview {
  diff: string
  sha256: string
  problems: Problem[] | null
  needsLiveConfirm: boolean
  baseSha256: string
}

export interface SaveResult {
  path: string
  sha256: string
  previousSha256: string
  backup: string
  written: boolean
}

export interface Backup {
  id: string
  path: string
  sha256: string
  time: string
}

export interface ClusterInfo {
  context: string
  namespace: string
  server: string
  why?: string // why this context was chosen
  reachable: boolean
  error: string
}

export interface ServiceConfirm {
  service: string
  pod: string
  sha256: string
  ok: boolean
  rejected: boolean
  error: string
  seconds: number
}

export interface PushResult {
  sha256: string
  ok: boolean
  seconds: number
  written?: boolean // false: the volume held these bytes already
  services: ServiceConfirm[] | null
  needsLiveConfirm?: boolean // the file trades LIVE and the stack does not: ask, then Push(true)
  error?: string // why it is not ok, in words
}

export interface Pod {
  name: string
  phase: string
  ready: boolean
  restarts: number
  startedAt: string
  reason?: string // why a container waits (CrashLoopBackOff, ...)
}

export interface Service {
  name: string
  replicas: number
  ready: number
  pods: Pod[] | null
  configSha256: string
  fileSha256: string
  inSync: boolean
  lastError?: string
  missing?: boolean // no such Deployment: lastError says how to deploy it
}

export interface LogLine {
  pod: string
  line: string
}

export interface Rect {
  x: number
  y: number
  w: number
  h: number
}

export interface UIState {
  tab: string
  errors: Record<string, string>
  lastPush: PushResult | null
  services: Service[]
  banner: string
  dialog: string
  rects: Record<string, Rect>
  extra?: Record<string, unknown>
}

export interface RenderReport {
  tabs: number
  fields: number
  sha256: string
  error: string
}
