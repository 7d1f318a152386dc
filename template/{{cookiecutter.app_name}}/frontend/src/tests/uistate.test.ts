import { afterEach, describe, expect, it, vi } from 'vitest'
import { visibleRects } from '../lib/uistate'

function place(id: string, r: { x: number; y: number; w: number; h: number }): HTMLElement {
  const el = document.createElement('button')
  el.dataset.testid = id
  el.getBoundingClientRect = () => ({ left: r.x, top: r.y, width: r.w, height: r.h, right: r.x + r.w, bottom: r.y + r.h, x: r.x, y: r.y, toJSON: () => ({}) })
  document.body.appendChild(el)
  return el
}

afterEach(() => {
  document.body.innerHTML = ''
  Reflect.deleteProperty(document, 'elementFromPoint') // jsdom has none; one test adds it
  vi.restoreAllMocks()
})

describe('visibleRects', () => {
  it('reports what is on screen, rounded, and leaves out what is not', () => {
    vi.spyOn(window, 'innerWidth', 'get').mockReturnValue(1000)
    vi.spyOn(window, 'innerHeight', 'get').mockReturnValue(700)
    place('save', { x: 10.4, y: 20.6, w: 80, h: 30 })
    place('hidden', { x: 10, y: 20, w: 0, h: 0 })
    place('below', { x: 10, y: 900, w: 80, h: 30 })
    place('half-in', { x: 960, y: 100, w: 60, h: 20 }) // centre at 990: still inside
    expect(visibleRects()).toEqual({ save: { x: 10, y: 21, w: 80, h: 30 }, 'half-in': { x: 960, y: 100, w: 60, h: 20 } })
  })

  it('leaves out what a dialog covers', () => {
    vi.spyOn(window, 'innerWidth', 'get').mockReturnValue(1000)
    vi.spyOn(window, 'innerHeight', 'get').mockReturnValue(700)
    place('push', { x: 10, y: 10, w: 50, h: 20 })
    const confirm = place('diff-confirm', { x: 300, y: 300, w: 50, h: 20 })
    const backdrop = document.createElement('div')
    document.body.appendChild(backdrop)
    document.elementFromPoint = (x: number) => (x < 100 ? backdrop : confirm)
    expect(Object.keys(visibleRects())).toEqual(['diff-confirm'])
  })
})
