// Component tests: jsdom, Svelte compiled for the browser, the Go bindings
// mocked in each test (src/tests/fakeapi.ts), so no Wails runtime is needed.
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { svelteTesting } from '@testing-library/svelte/vite'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['./src/tests/setup.ts'],
  },
})
