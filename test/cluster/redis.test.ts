import { describe, expect, it } from 'vitest'
import { checkRedis, connectionFor, redact } from '../../src/cluster/redis.js'
import { BamError } from '../../src/errors.js'
import { freePort } from './harness.js'

describe('Redis connection handling', () => {
  it('takes redis:// and rediss:// URLs and refuses others', () => {
    expect(connectionFor('redis://10.0.0.5:6379')).toMatchObject({ url: 'redis://10.0.0.5:6379', maxRetriesPerRequest: null })
    expect(() => connectionFor('http://10.0.0.5:6379')).toThrow(/expected redis:\/\/ or rediss:\/\//)
    expect(() => connectionFor('not a url')).toThrow(BamError)
  })

  it('Redis unreachable: ERR_REDIS naming the URL (without its password) and the reason', async () => {
    const port = await freePort()
    const e = await checkRedis(`redis://:secret@127.0.0.1:${port}`).catch((x: unknown) => x as BamError)
    expect(e).toBeInstanceOf(BamError)
    expect((e as BamError).code).toBe('ERR_REDIS')
    expect((e as BamError).message).toMatch(new RegExp(`^cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`))
    expect(redact('redis://u:pw@h:1')).toBe('redis://u:***@h:1')
  })
})
