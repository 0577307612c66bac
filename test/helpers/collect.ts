import { Writable } from 'node:stream'

/** A writable stream that keeps everything written to it. */
export class Collector extends Writable {
  private readonly chunks: Buffer[] = []

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.chunks.push(chunk)
    done()
  }

  /** Everything written so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks)
  }

  /** Everything written, decoded as Latin-1. */
  get text(): string {
    return this.bytes.toString('latin1')
  }
}
