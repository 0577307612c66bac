/**
 * Helpers of the sensor/daemon tests: temporary directories, fixture copies
 * (slow, corrupt, truncated), polling, and daemon processes started from the
 * built command as users run it (package.json's bin, the bundle), whose JSON log lines are collected.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'
import { RunStore } from '../../src/sensor/store.js'
import { builtBin } from '../helpers/bin.js'
import type { Attempt, Run } from '../../src/sensor/schema.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const FIXTURES = path.join(ROOT, 'test/fixtures/htslib')
export const CLI = builtBin()
export const SLOW_OP = path.join(ROOT, 'test/sensor/fixtures/slow-op.mjs')
export const CE_1000 = path.join(FIXTURES, 'htslib_test_ce_1000.bam')

/** Fails early with a clear message when the CLI has not been built. */
export function requireBuild(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/cli/daemon.js')) || !fs.existsSync(path.join(ROOT, 'dist/workers/chunk.js'))) {
    throw new Error('build first: npx tsc -p tsconfig.json') // test code, not src
  }
}

const made: string[] = []

/** A fresh directory under os.tmpdir(), removed by {@link removeTempDirs}. */
export function tempDir(prefix = 'bamstream-sensor-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Removes the directories made by {@link tempDir} (kept when BAMSTREAM_KEEP_TMP is set, for debugging). */
export function removeTempDirs(): void {
  if (process.env.BAMSTREAM_KEEP_TMP) return
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}

/** Polls `f` until it returns something truthy. */
export async function waitFor<T>(f: () => T | Promise<T>, timeoutMs: number, what: string, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v) return v as NonNullable<T>
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Copies `src` to `dest` in `pieces` appends, `delayMs` apart (like a slow network copy). */
export async function copySlowly(src: string, dest: string, pieces: number, delayMs: number): Promise<void> {
  const bytes = fs.readFileSync(src)
  const step = Math.ceil(bytes.length / pieces)
  fs.writeFileSync(dest, bytes.subarray(0, 0))
  for (let at = 0; at < bytes.length; at += step) {
    fs.appendFileSync(dest, bytes.subarray(at, at + step))
    if (at + step < bytes.length) await sleep(delayMs)
  }
}

/** A copy with one byte flipped in the middle: a CRC error, but still ending with the EOF block. */
export function corruptCopy(src: string, dest: string): void {
  const b = fs.readFileSync(src)
  b[Math.floor(b.length / 2)]! ^= 0xff
  fs.writeFileSync(dest, b)
}

/** The first half of a file: no EOF block. */
export function truncatedCopy(src: string, dest: string): void {
  const b = fs.readFileSync(src)
  fs.writeFileSync(dest, b.subarray(0, Math.floor(b.length / 2)))
}

/** Reads the run storage of `state` (a fresh connection each time, closed after). */
export function readStore<T>(state: string, f: (s: RunStore) => T): T {
  const store = RunStore.open(state, { mustExist: true })
  try {
    return f(store)
  } finally {
    store.close()
  }
}

/** All runs, oldest first, with their attempts. */
export function allRuns(state: string): Array<Run & { history: Attempt[] }> {
  if (!fs.existsSync(path.join(state, 'runs.sqlite'))) return []
  return readStore(state, (s) => s.list({ limit: 100_000 }).reverse().map((r) => ({ ...r, history: s.attempts(r.id) })))
}

/** Files under `dir`, recursively, relative, including hidden ones. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort()
}

/** A daemon (or any CLI) process whose stderr JSON lines are parsed into `events`. */
export class CliProcess {
  readonly events: Array<Record<string, unknown>> = []
  readonly text: string[] = []
  stdout = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private readonly child: ChildProcess

  constructor(args: string[], cwd = ROOT) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let pending = ''
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      pending += s
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) this.addLine(line)
    })
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => { this.stdout += s })
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      if (pending) this.addLine(pending)
      resolve({ code, signal })
    }))
  }

  get pid(): number {
    return this.child.pid!
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  /** Events named `event` (optionally also matching `where`). */
  named(event: string, where: (e: Record<string, unknown>) => boolean = () => true): Array<Record<string, unknown>> {
    return this.events.filter((e) => e.event === event && where(e))
  }

  waitForEvent(event: string, timeoutMs: number, where: (e: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
    return waitFor(() => this.named(event, where)[0], timeoutMs, `event ${event}; stderr so far:\n${this.log()}`)
  }

  /** Everything logged, for failure messages. */
  log(): string {
    return [...this.events.map((e) => JSON.stringify(e)), ...this.text].slice(-60).join('\n')
  }

  private addLine(line: string): void {
    if (!line.trim()) return
    try {
      this.events.push(JSON.parse(line) as Record<string, unknown>)
    } catch {
      this.text.push(line)
    }
  }
}

/** Common daemon flags for a watched directory. */
export function daemonArgs(dirs: { watch: string; out: string; state: string }, extra: string[] = []): string[] {
  return ['daemon', '--watch', dirs.watch, '--out', dirs.out, '--state', dirs.state, '--interval', '100ms', '--threads', '2', '--log-level', 'debug', ...extra]
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new CliProcess(args, cwd)
  const { code } = await p.exited
  return { code, stdout: p.stdout, stderr: p.text.join('\n') + p.events.map((e) => JSON.stringify(e)).join('\n') }
}

/** Stops a daemon with SIGTERM and returns its exit. */
export async function stopDaemon(p: CliProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  p.kill('SIGTERM')
  return p.exited
}

/** A test's daemon folders: files are copied into `watch`; results go to `out`; runs.sqlite lives in `state`. */
export interface DaemonDirs { root: string; watch: string; out: string; state: string }

/** Makes a fresh set of daemon folders under a temporary root. */
export function daemonDirs(prefix: string): DaemonDirs {
  const root = tempDir(prefix)
  const d = { root, watch: path.join(root, 'in'), out: path.join(root, 'out'), state: path.join(root, 'state') }
  fs.mkdirSync(d.watch)
  return d
}

/**
 * Returns a function starting `bamstream` processes that are all killed
 * (SIGKILL) after each test of the calling file.
 */
export function useDaemons(): (args: string[]) => CliProcess {
  const started: CliProcess[] = []
  afterEach(() => {
    for (const p of started.splice(0)) p.kill('SIGKILL')
  })
  return (args) => {
    const p = new CliProcess(args)
    started.push(p)
    return p
  }
}

/**
 * Makes `dir` unwritable like a read-only file system, and returns the undo,
 * or undefined when this machine cannot (then the caller skips). As root (who
 * ignores permissions) a read-only bind mount of the folder onto itself gives
 * real EROFS; otherwise removing write permission gives EACCES.
 */
export function makeReadOnly(dir: string): (() => void) | undefined {
  fs.mkdirSync(dir, { recursive: true })
  if (process.getuid?.() !== 0) {
    fs.chmodSync(dir, 0o555)
    return () => fs.chmodSync(dir, 0o755)
  }
  const mount = (args: string[]): boolean => spawnSync('mount', args, { stdio: 'ignore' }).status === 0
  if (!mount(['--bind', dir, dir])) return undefined
  if (!mount(['-o', 'remount,bind,ro', dir, dir])) {
    spawnSync('umount', [dir])
    return undefined
  }
  return () => { spawnSync('umount', [dir]) }
}
