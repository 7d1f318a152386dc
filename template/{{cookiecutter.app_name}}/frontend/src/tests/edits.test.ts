import { describe, expect, it } from 'vitest'
import { diffEdits, errorsByField, ownerOf, parseScalar, rangeHint } from '../lib/edits'
import type { Field } from '../lib/types'

describe('parseScalar', () => {
  it.each([
    ['int', '42', 42],
    ['int', ' -3 ', -3],
    ['int', '4.5', '4.5'],
    ['int', 'abc', 'abc'],
    ['float', '0.25', 0.25],
    ['float', '1e3', 1000],
    ['float', '.5', 0.5],
    ['float', '', ''],
    ['float', 'NaN', 'NaN'],
    ['string', '42', '42'],
  ])('%s %j -> %j', (kind, text, want) => {
    expect(parseScalar(kind, text)).toEqual(want)
  })
})

describe('diffEdits', () => {
  const fields = [
    { key: 'a.x', value: 1 },
    { key: 'a.list', value: ['A', 'B'] },
  ] as Field[]
  it.each([
    [{ 'a.x': 1 }, {}],
    [{ 'a.x': 2 }, { 'a.x': 2 }],
    [{ 'a.list': ['A', 'B'] }, {}],
    [{ 'a.list': ['B', 'A'] }, { 'a.list': ['B', 'A'] }],
  ])('%j -> %j', (values, want) => {
    expect(diffEdits(fields, values)).toEqual(want)
  })
})

describe('which field owns a problem', () => {
  const keys = ['scanner.universe', 'ibkr.reconnect.max_attempts', 'trading.mode']
  it.each([
    ['trading.mode', 'trading.mode'],
    ['scanner.universe[2]', 'scanner.universe'],
    ['ibkr.reconnect', 'ibkr.reconnect.max_attempts'],
    ['', null],
    ['nope', null],
  ])('%s -> %s', (key, want) => {
    expect(ownerOf(key, keys)).toBe(want)
  })

  it('joins two problems of one field and keeps the rest apart', () => {
    const { byField, other } = errorsByField(
      [
        { key: 'trading.mode', value: 'X', message: 'not allowed', fix: 'PAPER or LIVE' },
        { key: 'trading.mode', value: 'X', message: 'port rule', fix: '' },
        { key: '', value: '', message: 'not TOML', fix: 'fix line 3' },
      ],
      keys,
    )
    expect(byField['trading.mode']).toBe('trading.mode: not allowed — fix: PAPER or LIVE; trading.mode: port rule')
    expect(other).toHaveLength(1)
  })
})

it('describes ranges, exclusive or not', () => {
  expect(rangeHint({ minimum: 1, maximum: 64 } as Field)).toBe('1 ≤ value ≤ 64')
  expect(rangeHint({ exclusiveMinimum: 0 } as Field)).toBe('0 < value')
  expect(rangeHint({} as Field)).toBe('')
})
