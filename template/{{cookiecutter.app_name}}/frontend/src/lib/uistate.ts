import type { Rect } from './types'

// Where each visible test id sits, in CSS px relative to the page (the
// window's client area), so the Xvfb test can click at a rect's centre with
// real X input. An element counts as visible when its centre is inside the
// viewport and not covered by something else (a dialog's backdrop).
export function visibleRects(root: Document = document): Record<string, Rect> {
  const out: Record<string, Rect> = {}
  const view = root.defaultView
  const width = view?.innerWidth ?? 0
  const height = view?.innerHeight ?? 0
  const canHitTest = typeof root.elementFromPoint === 'function'
  for (const el of root.querySelectorAll<HTMLElement>('[data-testid]')) {
    const r = el.getBoundingClientRect()
    if (r.width <= 0 || r.height <= 0) continue
    const cx = r.left + r.width / 2
    const cy = r.top + r.height / 2
    if (cx < 0 || cy < 0 || cx >= width || cy >= height) continue
    if (canHitTest) {
      const hit = root.elementFromPoint(cx, cy)
      if (hit && !el.contains(hit) && !hit.contains(el)) continue
    }
    out[el.dataset.testid as string] = { x: Math.round(r.left), y: Math.round(r.top), w: Math.round(r.width), h: Math.round(r.height) }
  }
  return out
}

// Runs fn once per animation frame at most, after the browser laid the page
// out, however many state changes asked for it in between.
export function perFrame(fn: () => void): () => void {
  let queued = false
  return () => {
    if (queued) return
    queued = true
    requestAnimationFrame(() => {
      queued = false
      fn()
    })
  }
}
