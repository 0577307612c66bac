import { describe, expect, it } from 'vitest'
import { decodeValue, encodeValue } from '../../src/cluster/codec.js'

describe('partials as JSON', () => {
  it('round-trips typed arrays, bigints, nested objects and arrays through JSON', () => {
    const value = { n: 3, big: 2n ** 70n, f: new Float64Array([1.5, -2]), u: new Uint32Array([7, 2 ** 32 - 1]), parts: [new Uint8Array([1, 2, 3])], s: 'x', none: null }
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value)))) as typeof value
    expect(back).toEqual(value)
    expect(back.u).toBeInstanceOf(Uint32Array)
    expect(back.parts[0]).toBeInstanceOf(Uint8Array)
  })

  it('encodes a view of part of a buffer as just its bytes', () => {
    const whole = new Uint8Array([9, 8, 7, 6])
    expect(decodeValue(encodeValue(whole.subarray(1, 3)))).toEqual(new Uint8Array([8, 7]))
  })
})
