import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEMP_TAG, createAtomicFile, tempName } from '../../src/engine/atomic.js'
import { Writable } from 'node:stream'
import { fileSink, streamSink } from '../../src/engine/sink.js'
import { BamError } from '../../src/errors.js'
import { expected } from '../helpers/corpus.js'

const MAIN = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js')
const SAMPLE = 'test/fixtures/htslib/htslib_test_ce_1000.bam'
let dir: string
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-sink-')) })
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

async function writeAll(file: string, text: string): Promise<void> {
  const sink = await fileSink(file)
  await sink.write(Buffer.from(text))
  await sink.close()
}

describe('fileSink: what -o PATH does to PATH (issue 9.3)', () => {
  it('replaces a regular file atomically, leaving no temporary', async () => {
    const file = path.join(dir, 'a.sam')
    fs.writeFileSync(file, 'old')
    const sink = await fileSink(file)
    await sink.write(Buffer.from('new'))
    expect(fs.readFileSync(file, 'utf8')).toBe('old') // not visible until closed
    await sink.close()
    expect(fs.readFileSync(file, 'utf8')).toBe('new')
    expect(fs.readdirSync(dir).filter((n) => n.includes(TEMP_TAG))).toEqual([])
  })

  it('writes through a FIFO instead of replacing it', async () => {
    const fifo = path.join(dir, 'fifo')
    spawnSync('mkfifo', [fifo])
    const reader = spawn('cat', [fifo])
    let got = ''
    reader.stdout.on('data', (d) => { got += d })
    await writeAll(fifo, 'through the pipe\n')
    await new Promise((resolve) => reader.on('exit', resolve))
    expect(got).toBe('through the pipe\n')
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true)
  })

  // A private null device (mknod, as root), never the machine's own /dev/null
  it.runIf(process.getuid?.() === 0)('writes to a device in place (a null device stays a device)', async () => {
    const device = path.join(dir, 'null')
    expect(spawnSync('mknod', ['-m', '666', device, 'c', '1', '3']).status).toBe(0)
    await writeAll(device, 'discarded')
    expect(fs.statSync(device).isCharacterDevice()).toBe(true)
  })

  it('the atomic writer never renames over a FIFO or device, even one that appeared after it began', async () => {
    const fifo = path.join(dir, 'late-fifo')
    const f = await createAtomicFile(fifo)
    spawnSync('mkfifo', [fifo])
    await f.write('x')
    await expect(f.commit()).rejects.toThrow(/will not replace what is not a regular file/)
    await f.abort()
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true)
  })

  it('follows a symbolic link: the link stays, its target gets the bytes', async () => {
    const target = path.join(dir, 'target.sam')
    const link = path.join(dir, 'link.sam')
    fs.writeFileSync(target, 'old')
    fs.symlinkSync(target, link)
    await writeAll(link, 'via link')
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true)
    expect(fs.readFileSync(target, 'utf8')).toBe('via link')
  })

  it('takes output names of 255 bytes (the temporary name is shortened)', async () => {
    const long = path.join(dir, `${'x'.repeat(251)}.sam`)
    await writeAll(long, 'long name')
    expect(fs.readFileSync(long, 'utf8')).toBe('long name')
    expect(Buffer.byteLength(tempName('é'.repeat(127), 4_194_304, 'deadbeef'))).toBeLessThanOrEqual(255)
    expect(tempName('a.sam', 42, 'beef')).toBe(`.a.sam${TEMP_TAG}42-beef`)
  })

  it('names the path and the cause once when it cannot write', async () => {
    const e = await fileSink(path.join(dir, 'missing', 'x.sam')).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(BamError)
    expect((e as BamError).describe()).toBe(`${path.join(dir, 'missing', 'x.sam')}: cannot write output: no such file or directory (ENOENT)`)
    const d = await fileSink(dir).catch((x: unknown) => x)
    expect((d as BamError).describe()).toMatch(/cannot write output: is a directory \(EISDIR\)$/)
  })

  it('removes the temporary file when the CLI is killed by SIGTERM, SIGINT or SIGHUP', async () => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      const out = path.join(dir, `killed-${signal}`)
      fs.mkdirSync(out)
      const child = spawn(process.execPath, [MAIN, 'view', '-o', path.join(out, 'x.sam'), '-'], { stdio: ['pipe', 'ignore', 'pipe'] })
      child.stdin.write(fs.readFileSync(SAMPLE).subarray(0, 2000)) // the header, then the input stalls
      for (let i = 0; i < 200 && fs.readdirSync(out).length === 0; i++) await new Promise((r) => setTimeout(r, 25))
      expect(fs.readdirSync(out)[0]).toContain(TEMP_TAG)
      child.kill(signal)
      const [, sig] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])))
      expect(sig).toBe(signal)
      expect(fs.readdirSync(out), signal).toEqual([])
    }
  })
})

describe('write(bytes, done): when the bytes may be reused', () => {
  it('calls done once a file or file stream has written them, never for a stream that may keep them', async () => {
    const file = path.join(dir, 'done.sam')
    const sink = await fileSink(file)
    let files = 0
    await sink.write(Buffer.from('a\n'), () => { files++ })
    expect(files).toBe(1) // the atomic writer resolves after the write itself
    await sink.close()
    const stream = fs.createWriteStream(path.join(dir, 'done-stream.sam'))
    const streamed = streamSink(stream)
    let streams = 0
    await streamed.write(Buffer.from('b\n'), () => { streams++ })
    await streamed.close()
    expect(streams).toBe(1)
    stream.end()
    const kept: Buffer[] = []
    const keeper = new Writable({ write(chunk: Buffer, _enc, cb) { kept.push(chunk); cb() } })
    let keepers = 0
    const sinkToKeeper = streamSink(keeper)
    await sinkToKeeper.write(Buffer.from('c\n'), () => { keepers++ })
    await sinkToKeeper.close()
    expect([keepers, Buffer.concat(kept).toString()]).toEqual([0, 'c\n'])
  })
})

describe('stdout redirected to a regular file', () => {
  it('gets the SAM through the asynchronous writer, after what the file already held (the descriptor\'s offset)', () => {
    const out = path.join(dir, 'redirected.sam')
    fs.writeFileSync(out, 'before\n')
    const fd = fs.openSync(out, 'a')
    try {
      const r = spawnSync(process.execPath, [MAIN, 'view', '-h', '--chunk-size', '64k', SAMPLE], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' })
      expect([r.status, r.stderr]).toEqual([0, ''])
    } finally {
      fs.closeSync(fd)
    }
    expect(fs.readFileSync(out, 'latin1')).toBe(`before\n${expected('htslib_test_ce_1000', 'sam')}`)
  })
})

describe('view -c -o FILE', () => {
  it('writes the count to FILE', () => {
    const out = path.join(dir, 'count.txt')
    const r = spawnSync(process.execPath, [MAIN, 'view', '-c', '-o', out, SAMPLE], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('')
    expect(fs.readFileSync(out, 'utf8')).toBe('1000\n')
  })

  it('a closed stdout fails with status 1', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${MAIN}" count "${SAMPLE}" >&-`], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('bamstream count: cannot write standard output: it is closed (bad file descriptor)\n')
  })
})
