// A stand-in for the Go back end: every bound method is a vi.fn with a
// sensible answer, and events can be emitted as the back end would.
import { vi, type Mock } from 'vitest'
import type { Api } from '../lib/api'
import type { Form, Judgement, Preview, PushResult, SaveResult, Service } from '../lib/types'

export const OLD = 'a'.repeat(64)
export const NEW = 'b'.repeat(64)

export function sampleForm(overrides: Partial<Form> = {}): Form {
  return {
    path: '/tmp/config/config.toml',
    sha256: OLD,
    problems: [],
    loadError: '',
    tabs: [
      {
        name: 'scanner',
        title: 'Scanner',
        fields: [
          { key: 'scanner.workers', label: 'Workers', description: 'Parallel scans', kind: 'int', unit: '', minimum: 1, maximum: 64, default: 4, value: 4, allowed: 'a whole number from 1 to 64' },
          { key: 'scanner.interval_s', label: 'Interval', description: 'Seconds between scans', kind: 'float', unit: 's', exclusiveMinimum: 0, value: 30 },
          { key: 'scanner.universe', label: 'Universe', description: 'Symbols', kind: 'array', itemKind: 'string', unit: '', value: ['AAPL', 'MSFT'] },
          { key: 'schedule.trading_days', label: 'Trading days', description: 'Days', kind: 'array', itemKind: 'string', unit: '', enum: ['MON', 'TUE', 'WED'], uniqueItems: true, value: ['MON'] },
        ],
      },
      {
        name: 'trading',
        title: 'Trading',
        fields: [
          { key: 'trading.mode', label: 'Mode', description: 'PAPER or LIVE', kind: 'enum', unit: '', enum: ['PAPER', 'LIVE'], value: 'PAPER', live: true },
          { key: 'trading.allow_short', label: 'Allow short', description: 'Short selling', kind: 'bool', unit: '', value: false },
        ],
      },
      {
        name: 'ibkr',
        title: 'IBKR',
        fields: [
          { key: 'ibkr.host', label: 'Host', description: 'Where TWS runs', kind: 'string', unit: '', pattern: '^[a-z.]+$', value: 'localhost' },
        ],
      },
    ],
    ...overrides,
  }
}

export function sampleServices(sha = OLD): Service[] {
  return ['orchestrator', 'scanner'].map((name) => ({
    name,
    replicas: 1,
    ready: 1,
    configSha256: sha,
    fileSha256: sha,
    inSync: true,
    pods: [{ name: `${name}-abc`, phase: 'Running', ready: true, restarts: 0, startedAt: '2026-12-01T07:00:00Z' }],
  }))
}

type Handler = (payload: never) => void

export function makeFake() {
  const handlers = new Map<string, Set<Handler>>()
  const on = (name: string) => (fn: Handler) => {
    if (!handlers.has(name)) handlers.set(name, new Set())
    handlers.get(name)!.add(fn)
    return () => handlers.get(name)!.delete(fn)
  }
  const defaults: Api = {
    form: async (): Promise<Form> => sampleForm(),
    check: async (): Promise<Judgement> => ({ ok: true, problems: [], sha256: NEW, needsLiveConfirm: false }),
    preview: async (): Promise<Preview> => ({
        diff: '--- config.toml\n+++ config.toml\n@@ -1 +1 @@\n-workers = 4\n+workers = 8',
        sha256: NEW,
        problems: [],
        needsLiveConfirm: false,
        baseSha256: OLD,
      }),
    save: async (): Promise<SaveResult> => ({ path: '/tmp/config/config.toml', sha256: NEW, previousSha256: OLD, backup: 'config.toml.bak', written: true }),
    backups: async () => [{ id: '20261201T070000Z', path: '/tmp/config/backups/x', sha256: OLD, time: '2026-12-01T07:00:00Z' }],
    restore: async (): Promise<SaveResult> => ({ path: '/tmp/config/config.toml', sha256: OLD, previousSha256: NEW, backup: 'config.toml.bak', written: true }),
    cluster: async () => ({ context: 'traderadmin-local', namespace: 'ta-test', server: 'https://127.0.0.1:6443', reachable: true, error: '' }),
    push: async (): Promise<PushResult> => ({
        sha256: NEW,
        ok: true,
        seconds: 0.31,
        services: [
          { service: 'orchestrator', pod: 'orchestrator-abc', sha256: NEW, ok: true, rejected: false, error: '', seconds: 0.2 },
          { service: 'scanner', pod: 'scanner-abc', sha256: NEW, ok: true, rejected: false, error: '', seconds: 0.31 },
        ],
      }),
    services: async (): Promise<Service[]> => sampleServices(),
    restart: async () => {},
    stop: async () => {},
    start: async () => {},
    followLogs: async () => {},
    stopLogs: async () => {},
    rendered: async () => {},
    reportUI: async () => {},
  }
  type Defaults = Api
  const api = Object.fromEntries(Object.entries(defaults).map(([k, f]) => [k, vi.fn(f)])) as unknown as {
    [K in keyof Defaults]: Mock<Defaults[K]>
  }
  // Back to the default answers and no recorded calls or subscribers.
  function reset() {
    for (const [k, f] of Object.entries(defaults)) (api as unknown as Record<string, Mock>)[k].mockReset().mockImplementation(f)
    handlers.clear()
  }
  const events = {
    onConfigChanged: on('config:changed'),
    onPushProgress: on('push:progress'),
    onLogs: (service: string, fn: Handler) => on(`logs:${service}`)(fn),
  }
  function emit(name: string, payload: unknown) {
    for (const fn of handlers.get(name) ?? []) (fn as (p: unknown) => void)(payload)
  }
  return { api, events, emit, reset }
}

// One instance shared by the module mock (vi.mock of lib/api) and the tests.
export const fake = makeFake()
