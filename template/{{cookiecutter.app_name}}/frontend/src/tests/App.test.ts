import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte'
import userEvent from '@testing-library/user-event'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../App.svelte'
import { NEW, OLD, fake, sampleForm, sampleServices } from './fakeapi'

vi.mock('../lib/api', async () => {
  const { fake } = await import('./fakeapi')
  return { api: fake.api, events: fake.events }
})

beforeEach(() => fake.reset())

async function opened() {
  render(App)
  await screen.findByTestId('field-scanner.workers')
  await waitFor(() => expect(fake.api.rendered).toHaveBeenCalled())
}

async function typeInto(testid: string, text: string) {
  const input = screen.getByTestId(testid)
  await userEvent.clear(input)
  await userEvent.type(input, text)
}

describe('the form', () => {
  it('draws a tab per section plus Services, and reports the drawn tabs once painted', async () => {
    await opened()
    for (const t of ['tab-scanner', 'tab-trading', 'tab-ibkr', 'tab-services']) expect(screen.getByTestId(t)).toBeInTheDocument()
    expect(fake.api.rendered).toHaveBeenCalledWith({ tabs: 3, fields: 7, sha256: OLD, error: '' })
    expect(screen.getByText(/a whole number from 1 to 64/)).toBeInTheDocument()
    expect(screen.getByText('s')).toHaveClass('unit')
  })

  it('sends a typed number to the Go judge as a number, after the user pauses', async () => {
    await opened()
    await typeInto('field-scanner.workers', '8')
    await waitFor(() => expect(fake.api.check).toHaveBeenLastCalledWith({ 'scanner.workers': 8 }))
    // One call for the whole burst of keystrokes, not one per key.
    expect(fake.api.check.mock.calls.length).toBeLessThanOrEqual(2)
    expect(screen.getByTestId('edit-status')).toHaveTextContent('1 unsaved edit')
  })

  it("shows the judge's error next to the field, naming the key and the fix, and blocks Save", async () => {
    fake.api.check.mockResolvedValue({
      ok: false,
      sha256: '',
      needsLiveConfirm: false,
      problems: [{ key: 'scanner.workers', value: 'abc', message: 'must be an integer', fix: 'use a whole number from 1 to 64' }],
    })
    await opened()
    await typeInto('field-scanner.workers', 'abc')
    const error = await screen.findByTestId('error-scanner.workers')
    expect(error).toHaveTextContent('scanner.workers: must be an integer — fix: use a whole number from 1 to 64')
    // Text that is no number goes to the judge as text: it, not the browser, says what is wrong.
    expect(fake.api.check).toHaveBeenLastCalledWith({ 'scanner.workers': 'abc' })
    expect(screen.getByTestId('field-scanner.workers')).toHaveValue('abc')
    expect(screen.getByTestId('save')).toBeDisabled()
    expect(screen.getByTestId('tab-scanner')).toHaveTextContent('1')
  })

  it('puts a value back to the file value and it is no edit any more', async () => {
    await opened()
    await typeInto('field-scanner.workers', '9')
    await typeInto('field-scanner.workers', '4')
    await waitFor(() => expect(fake.api.check).toHaveBeenLastCalledWith({}))
    expect(screen.getByTestId('save')).toBeDisabled()
  })

  it('edits arrays as lists: change, add and remove items', async () => {
    await opened()
    await typeInto('field-scanner.universe-1', 'NVDA')
    await userEvent.click(screen.getByTestId('add-scanner.universe'))
    await typeInto('field-scanner.universe-2', 'TSLA')
    await waitFor(() => expect(fake.api.check).toHaveBeenLastCalledWith({ 'scanner.universe': ['AAPL', 'NVDA', 'TSLA'] }))
    await userEvent.click(screen.getByTestId('remove-scanner.universe-0'))
    await waitFor(() => expect(fake.api.check).toHaveBeenLastCalledWith({ 'scanner.universe': ['NVDA', 'TSLA'] }))
  })

  it('offers the choices of an array whose items are an enum', async () => {
    await opened()
    await userEvent.click(screen.getByTestId('add-schedule.trading_days'))
    await waitFor(() => expect(fake.api.check).toHaveBeenLastCalledWith({ 'schedule.trading_days': ['MON', 'TUE'] }))
    await userEvent.selectOptions(screen.getByTestId('field-schedule.trading_days-1'), 'WED')
    await waitFor(() => expect(fake.api.check).toHaveBeenLastCalledWith({ 'schedule.trading_days': ['MON', 'WED'] }))
  })

  it('toggles a bool and edits a string', async () => {
    await opened()
    await userEvent.click(screen.getByTestId('tab-trading'))
    await userEvent.click(screen.getByTestId('field-trading.allow_short'))
    await userEvent.click(screen.getByTestId('tab-ibkr'))
    await typeInto('field-ibkr.host', 'tws.local')
    await waitFor(() => expect(fake.api.check).toHaveBeenLastCalledWith({ 'trading.allow_short': true, 'ibkr.host': 'tws.local' }))
  })

  it('keeps an invalid file usable: its problems are listed and the fields still edit', async () => {
    fake.api.form.mockResolvedValue(
      sampleForm({ problems: [{ key: 'scanner.workers', value: '0', message: 'must be ≥ 1', fix: 'set 1 to 64' }, { key: '', value: '', message: 'unknown table [extra]', fix: 'remove it' }] }),
    )
    await opened()
    expect(screen.getByTestId('error-scanner.workers')).toHaveTextContent('must be ≥ 1')
    expect(screen.getByTestId('problems')).toHaveTextContent('(file): unknown table [extra] — fix: remove it')
    await typeInto('field-scanner.workers', '2')
    await waitFor(() => expect(fake.api.check).toHaveBeenLastCalledWith({ 'scanner.workers': 2 }))
  })
})

describe('LIVE', () => {
  it('asks before switching trading.mode to LIVE; saying no leaves PAPER and no edit', async () => {
    await opened()
    await userEvent.click(screen.getByTestId('tab-trading'))
    await fireEvent.change(screen.getByTestId('field-trading.mode'), { target: { value: 'LIVE' } })
    expect(await screen.findByTestId('dialog-live')).toHaveTextContent('real money')
    await userEvent.click(screen.getByTestId('cancel-live'))
    expect(screen.queryByTestId('dialog-live')).not.toBeInTheDocument()
    await waitFor(() => expect(screen.getByTestId('field-trading.mode')).toHaveValue('PAPER'))
    expect(screen.getByTestId('edit-status')).toHaveTextContent('No unsaved edits')
  })

  it('saying yes makes the edit and Save passes the confirmation on', async () => {
    await opened()
    await userEvent.click(screen.getByTestId('tab-trading'))
    await fireEvent.change(screen.getByTestId('field-trading.mode'), { target: { value: 'LIVE' } })
    await userEvent.click(await screen.findByTestId('confirm-live'))
    await waitFor(() => expect(screen.getByTestId('save')).toBeEnabled())
    await userEvent.click(screen.getByTestId('save'))
    await userEvent.click(await screen.findByTestId('diff-confirm'))
    await waitFor(() => expect(fake.api.save).toHaveBeenCalledWith({ 'trading.mode': 'LIVE' }, OLD, true))
  })
})

describe('save and push', () => {
  it('shows the diff, saves on confirm, then pushes and shows each service confirm the new hash', async () => {
    await opened()
    await typeInto('field-scanner.workers', '8')
    await waitFor(() => expect(screen.getByTestId('save')).toBeEnabled())
    await userEvent.click(screen.getByTestId('save'))
    const diff = await screen.findByTestId('diff')
    expect(diff).toHaveTextContent('+workers = 8')
    expect(fake.api.save).not.toHaveBeenCalled()
    fake.api.form.mockResolvedValue(sampleForm({ sha256: NEW }))
    await userEvent.click(screen.getByTestId('diff-confirm'))
    await waitFor(() => expect(fake.api.push).toHaveBeenCalled())
    expect(fake.api.save).toHaveBeenCalledWith({ 'scanner.workers': 8 }, OLD, false)
    const progress = await screen.findByTestId('push-progress')
    await waitFor(() => expect(progress).toHaveTextContent('every service confirmed in 0.31 s'))
    for (const s of ['orchestrator', 'scanner']) {
      const row = within(progress).getByTestId(`push-${s}`)
      expect(row).toHaveTextContent('confirmed')
      expect(row).toHaveTextContent(NEW.slice(0, 12))
      expect(row).toHaveTextContent(OLD.slice(0, 12)) // the hash it ran before, struck through
    }
    expect(screen.getByTestId('notice')).toHaveTextContent('Saved /tmp/config/config.toml')
  })

  it('shows progress events while waiting, and a rejection with the service\'s own reason', async () => {
    let finish: (v: Awaited<ReturnType<typeof fake.api.push>>) => void = () => {}
    fake.api.push.mockImplementation(() => new Promise((resolve) => (finish = resolve)))
    await opened()
    await userEvent.click(screen.getByTestId('push'))
    fake.emit('push:progress', {
      sha256: NEW,
      ok: false,
      seconds: 0.1,
      services: [{ service: 'scanner', pod: 'scanner-abc', sha256: OLD, ok: false, rejected: false, error: '', seconds: 0 }],
    })
    expect(await screen.findByTestId('push-scanner')).toHaveTextContent('waiting')
    const rejected = {
      sha256: NEW,
      ok: false,
      seconds: 0.4,
      services: [{ service: 'scanner', pod: 'scanner-abc', sha256: OLD, ok: false, rejected: true, error: 'scanner.workers: 0 is below the minimum 1', seconds: 0.4 }],
    }
    finish(rejected)
    await waitFor(() => expect(screen.getByTestId('push-scanner')).toHaveTextContent('rejected: scanner.workers: 0 is below the minimum 1'))
    expect(screen.getByTestId('banner-error')).toHaveTextContent('not every service confirmed')
  })

  it('shows why Save was refused, and keeps the edits', async () => {
    fake.api.save.mockRejectedValue('config.toml changed on disk since you opened it; reload the form')
    await opened()
    await typeInto('field-scanner.workers', '8')
    await waitFor(() => expect(screen.getByTestId('save')).toBeEnabled())
    await userEvent.click(screen.getByTestId('save'))
    await userEvent.click(await screen.findByTestId('diff-confirm'))
    expect(await screen.findByTestId('banner-error')).toHaveTextContent('changed on disk since you opened it')
    expect(screen.getByTestId('field-scanner.workers')).toHaveValue('8')
    expect(fake.api.push).not.toHaveBeenCalled()
  })

  it('asks before pushing a LIVE file onto a stack that runs PAPER, then pushes with the yes', async () => {
    fake.api.push.mockImplementation(async (confirmLive: boolean) =>
      confirmLive
        ? { sha256: NEW, ok: true, seconds: 0.2, services: [] }
        : { sha256: NEW, ok: false, seconds: 0, services: [], needsLiveConfirm: true, error: 'the file trades LIVE; the stack runs PAPER' },
    )
    await opened()
    await userEvent.click(screen.getByTestId('push'))
    expect(await screen.findByTestId('dialog-live')).toHaveTextContent('Push a LIVE config to the cluster?')
    expect(fake.api.push).toHaveBeenCalledWith(false)
    await userEvent.click(screen.getByTestId('confirm-live'))
    await waitFor(() => expect(fake.api.push).toHaveBeenLastCalledWith(true))
    expect(await screen.findByTestId('push-progress')).toHaveTextContent('every service confirmed')
  })

  it('undo restores a chosen backup, then pushes it', async () => {
    await opened()
    await userEvent.click(screen.getByTestId('backups'))
    await userEvent.click(await screen.findByTestId('restore-20261201T070000Z'))
    await waitFor(() => expect(fake.api.restore).toHaveBeenCalledWith('20261201T070000Z', false))
    await waitFor(() => expect(fake.api.push).toHaveBeenCalled())
  })
})

describe('bad states', () => {
  it('says when the cluster cannot be reached, with the fix', async () => {
    fake.api.cluster.mockResolvedValue({ context: 'traderadmin-local', namespace: 'default', server: 'https://127.0.0.1:6443', reachable: false, error: 'connection refused; start it with `invoke cluster.up`' })
    await opened()
    expect(await screen.findByTestId('banner-cluster')).toHaveTextContent('invoke cluster.up')
  })

  it('on a change on disk while editing: a banner, and reload keeps the edits', async () => {
    await opened()
    await typeInto('field-scanner.workers', '8')
    fake.api.form.mockResolvedValue(sampleForm({ sha256: NEW }))
    fake.emit('config:changed', { sha256: NEW })
    expect(await screen.findByTestId('banner-changed')).toHaveTextContent('Your 1 edit(s) are kept')
    expect(fake.api.form).toHaveBeenCalledTimes(1) // nothing reloaded behind the user's back
    await userEvent.click(screen.getByTestId('reload'))
    await waitFor(() => expect(screen.queryByTestId('banner-changed')).not.toBeInTheDocument())
    expect(screen.getByTestId('sha256')).toHaveTextContent(NEW)
    expect(screen.getByTestId('field-scanner.workers')).toHaveValue('8')
  })

  it('takes the change event of its own Save as no news', async () => {
    fake.api.save.mockImplementation(async () => {
      fake.emit('config:changed', { sha256: NEW }) // the watcher sees our write before Save returns
      return { path: '/tmp/config/config.toml', sha256: NEW, previousSha256: OLD, backup: 'config.toml.bak', written: true }
    })
    await opened()
    await typeInto('field-scanner.workers', '8')
    await waitFor(() => expect(screen.getByTestId('save')).toBeEnabled())
    fake.api.form.mockResolvedValue(sampleForm({ sha256: NEW }))
    await userEvent.click(screen.getByTestId('save'))
    await userEvent.click(await screen.findByTestId('diff-confirm'))
    await waitFor(() => expect(fake.api.push).toHaveBeenCalled())
    expect(screen.queryByTestId('banner-changed')).not.toBeInTheDocument()
  })

  it('on a change on disk with no edits: reloads quietly', async () => {
    await opened()
    fake.api.form.mockResolvedValue(sampleForm({ sha256: NEW }))
    fake.emit('config:changed', { sha256: NEW })
    await waitFor(() => expect(screen.getByTestId('sha256')).toHaveTextContent(NEW))
    expect(screen.queryByTestId('banner-changed')).not.toBeInTheDocument()
  })
})

describe('services', () => {
  it('lists pods, readiness, restarts and the running hash against the file, with actions', async () => {
    fake.api.services.mockResolvedValue([{ ...sampleServices()[0] }, { ...sampleServices(NEW)[1], fileSha256: OLD, inSync: false }])
    await opened()
    await userEvent.click(screen.getByTestId('tab-services'))
    expect(await screen.findByTestId('hash-orchestrator')).toHaveTextContent(OLD.slice(0, 12))
    expect(screen.getByTestId('service-scanner')).toHaveTextContent('differs: push the file')
    expect(screen.getByTestId('pod-scanner-abc')).toHaveTextContent('Running')
    await userEvent.click(screen.getByTestId('restart-scanner'))
    expect(fake.api.restart).toHaveBeenCalledWith('scanner')
    await userEvent.click(screen.getByTestId('stop-orchestrator'))
    expect(fake.api.stop).toHaveBeenCalledWith('orchestrator')
    expect(screen.getByTestId('start-orchestrator')).toBeDisabled() // it runs: nothing to start
  })

  it("shows a service's last error, a waiting pod's reason, and a missing Deployment", async () => {
    const [orchestrator, scanner] = sampleServices()
    fake.api.services.mockResolvedValue([
      { ...orchestrator, replicas: 0, ready: 0, pods: [], missing: true, lastError: 'no orchestrator Deployment in namespace x: `invoke deploy --namespace x` starts the stack' },
      { ...scanner, lastError: 'scanner.workers: 0 is below the minimum 1', pods: [{ ...scanner.pods![0], ready: false, reason: 'CrashLoopBackOff' }] },
      { name: 'config-writer', replicas: 1, ready: 1, configSha256: '', fileSha256: OLD, inSync: true, pods: [] },
    ])
    await opened()
    await userEvent.click(screen.getByTestId('tab-services'))
    expect(await screen.findByTestId('service-orchestrator')).toHaveTextContent('not deployed')
    expect(screen.getByTestId('last-error-orchestrator')).toHaveTextContent('invoke deploy --namespace x')
    expect(screen.getByTestId('last-error-scanner')).toHaveTextContent('below the minimum 1')
    expect(screen.getByTestId('pod-scanner-abc')).toHaveTextContent('Running (CrashLoopBackOff)')
    expect(screen.getByTestId('service-config-writer')).toHaveTextContent('runs no config')
  })

  it('follows a service log', async () => {
    await opened()
    await userEvent.click(screen.getByTestId('tab-services'))
    await userEvent.click(await screen.findByTestId('follow-scanner'))
    expect(fake.api.followLogs).toHaveBeenCalledWith('scanner')
    fake.emit('logs:scanner', { pod: 'scanner-abc', line: 'config applied sha256=bbbb' })
    expect(await screen.findByTestId('logs-scanner')).toHaveTextContent('scanner-abc config applied sha256=bbbb')
    await userEvent.click(screen.getByTestId('follow-scanner'))
    expect(fake.api.stopLogs).toHaveBeenCalledWith('scanner')
  })
})

describe('the test hook', () => {
  it('reports the tab, the errors and the open dialog to ReportUI', async () => {
    fake.api.check.mockResolvedValue({ ok: false, sha256: '', needsLiveConfirm: false, problems: [{ key: 'scanner.workers', value: '0', message: 'too small', fix: 'use 1 to 64' }] })
    await opened()
    await typeInto('field-scanner.workers', '0')
    await waitFor(() =>
      expect(fake.api.reportUI).toHaveBeenLastCalledWith(
        expect.objectContaining({ tab: 'scanner', dialog: '', errors: { 'scanner.workers': 'scanner.workers: too small — fix: use 1 to 64' } }),
      ),
    )
    const state = fake.api.reportUI.mock.lastCall![0]
    expect(state.services.map((s) => s.name)).toEqual(['orchestrator', 'scanner'])
    expect(state.rects).toBeTypeOf('object')
  })
})
