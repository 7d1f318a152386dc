// The one module that calls the Go back end. Everything else imports these
// wrappers, so component tests mock this file (or the generated bindings
// below it) and nothing else.
import * as Go from '../../wailsjs/go/main/App'
import { EventsOn } from '../../wailsjs/runtime/runtime'
import type {
  Backup,
  ClusterInfo,
  Form,
  Judgement,
  LogLine,
  Preview,
  PushResult,
  RenderReport,
  SaveResult,
  Service,
  UIState,
  Value,
} from './types'

// The generated bindings type their arguments and results as classes of
// wailsjs/go/models.ts; on the wire both are plain JSON, which is what the
// interfaces in types.ts describe.
function arg<F extends (...args: never[]) => unknown>(_fn: F, value: unknown): Parameters<F>[0] {
  return value as Parameters<F>[0]
}

export type Edits = Record<string, Value>

export const api = {
  form: async (): Promise<Form> => (await Go.Form()) as unknown as Form,
  check: async (edits: Edits): Promise<Judgement> => (await Go.Check(arg(Go.Check, edits))) as unknown as Judgement,
  preview: async (edits: Edits): Promise<Preview> => (await Go.Preview(arg(Go.Preview, edits))) as unknown as Preview,
  save: async (edits: Edits, baseSha256: string, confirmLive: boolean): Promise<SaveResult> =>
    (await Go.Save(arg(Go.Save, edits), baseSha256, confirmLive)) as unknown as SaveResult,
  backups: async (): Promise<Backup[]> => ((await Go.Backups()) ?? []) as unknown as Backup[],
  restore: async (id: string, confirmLive: boolean): Promise<SaveResult> =>
    (await Go.Restore(id, confirmLive)) as unknown as SaveResult,
  cluster: async (): Promise<ClusterInfo> => (await Go.Cluster()) as unknown as ClusterInfo,
  push: async (confirmLive: boolean): Promise<PushResult> => (await Go.Push(confirmLive)) as unknown as PushResult,
  services: async (): Promise<Service[]> => ((await Go.Services()) ?? []) as unknown as Service[],
  restart: (service: string): Promise<void> => Go.Restart(service),
  stop: (service: string): Promise<void> => Go.Stop(service),
  start: (service: string): Promise<void> => Go.Start(service),
  followLogs: (service: string): Promise<void> => Go.FollowLogs(service),
  stopLogs: (service: string): Promise<void> => Go.StopLogs(service),
  rendered: (report: RenderReport): Promise<void> => Go.Rendered(arg(Go.Rendered, report)),
  reportUI: (state: UIState): Promise<void> => Go.ReportUI(arg(Go.ReportUI, state)),
}

export type Api = typeof api

// Wails events; each returns the function that unsubscribes.
export const events = {
  onConfigChanged: (fn: (e: { sha256: string }) => void): (() => void) => EventsOn('config:changed', fn),
  onPushProgress: (fn: (r: PushResult) => void): (() => void) => EventsOn('push:progress', fn),
  onLogs: (service: string, fn: (l: LogLine) => void): (() => void) => EventsOn(`logs:${service}`, fn),
}
