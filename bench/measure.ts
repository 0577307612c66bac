/**
 * Whole-process measurements: wall time, CPU time and peak RSS of one command,
 * through GNU time (`/usr/bin/time -f`) or, where that is missing, a python3
 * `os.wait4` wrapper. Without either, RSS and CPU are reported as null.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** One run of a command. */
export interface Sample {
  /** Wall-clock seconds, measured around the child. */
  wallS: number
  /** User and system CPU seconds of the child and its threads, or null. */
  cpuS: number | null
  /** Peak resident set size in MB (1e6 bytes), or null. */
  rssMB: number | null
  /** The command's standard output. */
  stdout: string
  /** Exit code. */
  code: number
}

type Wrapper = 'gnu-time' | 'python' | 'none'
let wrapper: Wrapper | undefined

const PY_WAIT4 = 'import os,sys\npid=os.fork()\nif pid==0:\n  os.execvp(sys.argv[2],sys.argv[2:])\n_,st,ru=os.wait4(pid,0)\n' +
  'open(sys.argv[1],"w").write("%f %f %d\\n"%(ru.ru_utime,ru.ru_stime,ru.ru_maxrss))\nsys.exit(os.waitstatus_to_exitcode(st))'

/** Which wrapper this machine has (checked once). */
export function rusageWrapper(): Wrapper {
  if (wrapper) return wrapper
  const gnu = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' })
  if (gnu.status === 0 && /^\d+\s*$/.test(gnu.stderr)) return (wrapper = 'gnu-time')
  const py = spawnSync('python3', ['-c', 'import os; os.wait4'], { encoding: 'utf8' })
  return (wrapper = py.status === 0 ? 'python' : 'none')
}

function wrap(argv: string[], out: string): string[] {
  switch (rusageWrapper()) {
    case 'gnu-time': return ['/usr/bin/time', '-f', '%U %S %M', '-o', out, ...argv]
    case 'python': return ['python3', '-c', PY_WAIT4, out, ...argv]
    default: return argv
  }
}

/**
 * Runs `argv` once and measures it. Standard error is passed through only on failure;
 * standard output is kept (or, with `discardStdout`, sent to /dev/null).
 *
 * @example
 * ```ts
 * const s = await measure(['samtools', 'flagstat', '-@2', 'x.bam'])
 * console.log(s.wallS, s.rssMB)
 * ```
 */
export async function measure(argv: string[], env: NodeJS.ProcessEnv = process.env, opts: { discardStdout?: boolean } = {}): Promise<Sample> {
  const out = path.join(os.tmpdir(), `bamstream-rusage-${process.pid}-${Math.random().toString(36).slice(2)}.txt`)
  const [cmd, ...args] = wrap(argv, out)
  const started = performance.now()
  // discardStdout: standard output goes to /dev/null opened write-only, as a shell's `> /dev/null` does
  // (stdio 'ignore' opens it read-write, which bamstream takes for a closed stdout: see cli/output.ts)
  const devNull = opts.discardStdout ? fs.openSync('/dev/null', 'w') : undefined
  const child = spawn(cmd!, args, { env, stdio: ['ignore', devNull ?? 'pipe', 'pipe'] })
  if (devNull !== undefined) fs.closeSync(devNull)
  const chunks: Buffer[] = []
  const errs: Buffer[] = []
  child.stdout?.on('data', (b: Buffer) => chunks.push(b))
  child.stderr?.on('data', (b: Buffer) => errs.push(b))
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (c) => resolve(c ?? 1))
  })
  const wallS = (performance.now() - started) / 1000
  if (code !== 0) process.stderr.write(Buffer.concat(errs))
  const usage = readUsage(out)
  return { wallS, ...usage, stdout: Buffer.concat(chunks).toString('utf8'), code }
}

function readUsage(file: string): { cpuS: number | null; rssMB: number | null } {
  try {
    const [user, sys, rssKb] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).slice(-3).map(Number)
    if (![user, sys, rssKb].every((n) => Number.isFinite(n))) return { cpuS: null, rssMB: null }
    return { cpuS: user! + sys!, rssMB: (rssKb! * 1024) / 1e6 }
  } catch {
    return { cpuS: null, rssMB: null }
  } finally {
    fs.rmSync(file, { force: true })
  }
}

/** True if `cmd` is on PATH. */
export function hasCommand(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)))
}

/** The built command as users run it: package.json's bin, the bundle of scripts/bundle.mjs (dist/bench/ → dist/bundle/). */
const CLI = fileURLToPath(new URL('../bundle/bamstream.cjs', import.meta.url))
let bundled = false

/**
 * The command line that runs `bamstream` as its bin does: node with the V8
 * flags of the CLI's `#!/usr/bin/env -S node …` line, then the CLI. The
 * bundle is made again first when tsc's output is newer (`node
 * dist/bench/run.js` after a bare `tsc`; `npm run bench` bundles anyway).
 *
 * @example
 * ```ts
 * await measure([...bamstreamArgv(), 'flagstat', '-@', '2', file])
 * ```
 */
export function bamstreamArgv(): string[] {
  if (!bundled) {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../scripts/bundle.mjs', import.meta.url)), '--if-stale'], { stdio: ['ignore', 'ignore', 'inherit'] })
    if (r.status !== 0) throw new Error('scripts/bundle.mjs failed: run npm run build')
    bundled = true
  }
  const shebang = fs.readFileSync(CLI, 'utf8').split('\n', 1)[0]!
  const flags = shebang.replace(/^#!\S*env\s+(-S\s+)?node\s*/, '').split(/\s+/).filter(Boolean)
  return [process.execPath, ...flags, CLI]
}
