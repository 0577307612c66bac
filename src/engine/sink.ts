/**
 * Output sinks with backpressure: stdout, or a file written under a temporary
 * name and renamed into place only when complete, so a failed run never leaves
 * a file that looks finished.
 */
import fs from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Writable } from 'node:stream'
import { BamError } from '../errors.js'

/** Where ordered output goes. */
export interface Sink {
  /** Writes bytes, resolving when the stream can take more (backpressure). */
  write(bytes: Uint8Array): Promise<void>
  /** Flushes and, for files, renames the temporary file into place. */
  close(): Promise<void>
  /** Abandons the output: a temporary file is removed. */
  abort(): Promise<void>
}

/**
 * A sink over any writable stream (not closed at the end: stdout stays open).
 *
 * @example
 * ```ts
 * const sink = streamSink(process.stdout)
 * await sink.write(new TextEncoder().encode('hello\n'))
 * ```
 */
export function streamSink(stream: Writable, name = 'output'): Sink {
  let failure: Error | undefined
  const onError = (e: Error): void => { failure = e }
  stream.on('error', onError)
  const check = (): void => {
    if (failure) throw outputError(name, failure)
    if (stream.destroyed || stream.writableEnded) throw outputError(name, new Error('the output stream was closed'))
  }
  const detach = (): void => { stream.off('error', onError) }
  return {
    async write(bytes) {
      check()
      if (!stream.write(bytes)) await waitDrain(stream, name)
      check()
    },
    close: () => new Promise<void>((resolve, reject) => {
      try {
        check()
      } catch (e) {
        detach()
        return reject(e)
      }
      stream.write(new Uint8Array(0), (e) => {
        detach()
        return e ? reject(outputError(name, e)) : resolve()
      })
    }),
    abort: async () => detach(),
  }
}

/**
 * A sink to a file: bytes go to `<file>.partial-<pid>` and are renamed to `file` by `close()`.
 *
 * @example
 * ```ts
 * const sink = await fileSink('out.sam')
 * await sink.write(bytes); await sink.close()
 * ```
 */
export async function fileSink(file: string): Promise<Sink> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}-${randomUUID().slice(0, 8)}`)
  let stream: fs.WriteStream
  try {
    await fs.promises.access(path.dirname(file) || '.', fs.constants.W_OK)
    stream = fs.createWriteStream(temp, { flags: 'wx' })
    await new Promise<void>((resolve, reject) => { stream.once('open', () => resolve()); stream.once('error', reject) })
  } catch (e) {
    throw outputError(file, e as Error)
  }
  const inner = streamSink(stream, file)
  const end = (): Promise<void> => new Promise((resolve, reject) => {
    stream.end((e?: Error | null) => (e ? reject(outputError(file, e)) : resolve()))
  })
  return {
    write: inner.write,
    async close() {
      await end()
      await fs.promises.rename(temp, file).catch((e: Error) => { throw outputError(file, e) })
    },
    async abort() {
      await inner.abort()
      stream.destroy()
      await fs.promises.rm(temp, { force: true }).catch(() => {})
    },
  }
}

function waitDrain(stream: Writable, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error): void => {
      stream.off('drain', onDrain)
      stream.off('error', onError)
      stream.off('close', onClose)
      if (e) reject(outputError(name, e))
      else resolve()
    }
    const onDrain = (): void => done()
    const onError = (e: Error): void => done(e)
    // destroyed without an error: no 'drain' will ever come
    const onClose = (): void => done(new Error('the output stream was closed'))
    stream.once('drain', onDrain)
    stream.once('error', onError)
    stream.once('close', onClose)
  })
}

function outputError(name: string, e: Error): BamError {
  if (e instanceof BamError) return e
  const code = (e as NodeJS.ErrnoException).code
  return new BamError('ERR_OUTPUT', `cannot write ${name}: ${code ? `${code} ` : ''}${e.message}`.trim(), -1, name)
}
