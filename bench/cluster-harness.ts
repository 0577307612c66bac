/**
 * A real Redis and real worker processes, for the cluster tests and the
 * cluster benchmark: redis-server on a free port in a temporary folder
 * (append-only file on), and `bamstream worker` processes of the built CLI.
 *
 * @example
 * ```ts
 * const redis = await startRedis()
 * const worker = await launchWorker([process.execPath, 'dist/src/cli/main.js'], redis.url, ['-@', '1'])
 * await worker.stop(); await redis.stop()
 * ```
 */
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** A redis-server of our own. */
export interface TestRedis {
  url: string
  port: number
  dir: string
  /** Stops it (SIGTERM: it writes its append-only file first). */
  stop(): Promise<void>
  /** Stops it and starts it again on the same port and folder (it reloads its append-only file). */
  restart(): Promise<void>
}

/** Starts redis-server with `--appendonly yes` on a free port in a new temporary folder. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-redis-'))
  let proc = await launch(port, dir)
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGTERM')
    await exited
  }
  return {
    url: `redis://127.0.0.1:${port}`, port, dir,
    async stop() {
      await stop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
    async restart() {
      await stop()
      proc = await launch(port, dir)
    },
  }
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  await waitFor(proc, /Ready to accept connections/, 'redis-server')
  return proc
}

/** A `bamstream worker` process. */
export interface TestWorker {
  proc: ChildProcess
  /** Everything it logged so far. */
  log(): string
  /** Stops it (SIGTERM) and waits for its exit. */
  stop(): Promise<void>
}

/**
 * Starts `bamstream worker --redis URL ARGS` with `main` (the node argv of the
 * built CLI, e.g. `[process.execPath, 'dist/src/cli/main.js']`) and waits
 * up to `readyMs` until it says it is ready.
 */
export async function launchWorker(main: readonly string[], url: string, args: readonly string[], readyMs = 20_000): Promise<TestWorker> {
  const proc = spawn(main[0]!, [...main.slice(1), 'worker', '--redis', url, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  proc.stderr!.on('data', (b: Buffer) => { text += b.toString() })
  proc.stdout!.on('data', (b: Buffer) => { text += b.toString() })
  await waitFor(proc, /ready on/, 'bamstream worker', readyMs)
  return {
    proc,
    log: () => text,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      proc.kill('SIGTERM')
      await exited
    },
  }
}

/** Resolves once the process prints `pattern` (stdout or stderr); rejects if it exits first. */
export function waitFor(proc: ChildProcess, pattern: RegExp, what: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => done(new Error(`${what} did not start in ${timeoutMs} ms: ${seen}`)), timeoutMs)
    const onData = (b: Buffer): void => {
      seen += b.toString()
      if (pattern.test(seen)) done()
    }
    const onExit = (code: number | null): void => done(new Error(`${what} exited (${code}) before it was ready: ${seen}`))
    const done = (e?: Error): void => {
      clearTimeout(timer)
      proc.stdout?.off('data', onData)
      proc.stderr?.off('data', onData)
      proc.off('exit', onExit)
      if (e) reject(e)
      else resolve()
    }
    proc.stdout?.on('data', onData)
    proc.stderr?.on('data', onData)
    proc.once('exit', onExit)
  })
}
