import { UnrecoverableError } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { errorFromReason, jobError } from '../../src/cluster/failure.js'
import { BamError } from '../../src/errors.js'

describe('errors across the queue', () => {
  it('bad data is not retried and keeps its code, offset and file', () => {
    const e = jobError(new BamError('ERR_BGZF_CRC', 'CRC32 mismatch', 30_000, '/shared/x.bam'))
    expect(e).toBeInstanceOf(UnrecoverableError)
    const back = errorFromReason(e.message, '/shared/x.bam')
    expect(back.toJSON()).toEqual({ code: 'ERR_BGZF_CRC', message: 'CRC32 mismatch', offset: 30_000, source: '/shared/x.bam' })
  })

  it('an I/O failure is retried (a plain Error for BullMQ)', () => {
    const e = jobError(new BamError('ERR_HTTP', 'HTTP 503', 12, 'http://h/x.bam'))
    expect(e).not.toBeInstanceOf(UnrecoverableError)
    expect(errorFromReason(e.message, 'x').code).toBe('ERR_HTTP')
  })

  it('a reason that is not ours becomes ERR_REDIS with the text', () => {
    const e = errorFromReason('job stalled more than allowable limit', '/shared/x.bam')
    expect(e.code).toBe('ERR_REDIS')
    expect(e.describe()).toBe('/shared/x.bam: cluster job failed: job stalled more than allowable limit')
  })
})
