"""The TraderAdmin desktop app (Wails): made, built and checked from here.

Layers, bottom up: `toolchain` (Go, the pinned Wails CLI, WebKitGTK and the
Debian packages behind them), `scaffold` (render template/ into an app),
`build` (`wails build|dev|generate` and the pre-build checks), `xdisplay` (Xvfb,
xdotool, ImageMagick), `smoke` (open the built app headless and judge what it
drew) and `drive` (click and type in it as a person would, for the window tests).
"""
