/**
 * Writing to stdout with backpressure.
 */

/**
 * Writes `text` to stdout and resolves once it is flushed to the OS.
 *
 * @example
 * ```ts
 * await writeStdout('1000\n')
 * ```
 */
export function writeStdout(text: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (e) => (e ? reject(e) : resolve()))
  })
}
