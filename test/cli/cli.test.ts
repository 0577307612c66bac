import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { corpusBam, expected, hasCommand } from '../helpers/corpus.js'
import { builtBin } from '../helpers/bin.js'
import { nativeAddonPath } from '../../src/bgzf/native.js'

// The built command, as a user runs it: package.json's bin (`npm test` builds dist/ and the bundle first).
const MAIN = builtBin()
const SAMPLE = corpusBam('htslib_test_ce_1000')
let dir: string
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-cli-')) })
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

function cli(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'latin1', maxBuffer: 1 << 28, timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('bamstream flagstat / count / idxstats', () => {
  it('flagstat prints samtools text, and nothing on stderr when it is not a TTY', () => {
    const r = cli(['flagstat', '-@', '2', SAMPLE])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(expected('htslib_test_ce_1000', 'flagstat.txt'))
    expect(r.stderr).toBe('')
  })

  it.runIf(hasCommand('script'))('draws a progress bar (bytes, MB/s, records/s, ETA) when stderr is a terminal', () => {
    // `script` runs the command on a pseudo-terminal and copies what it draws
    const r = spawnSync('script', ['-qec', `"${process.execPath}" "${MAIN}" flagstat --chunk-size 1 "${corpusBam('htslib_test_ce_large_seq')}"`, '/dev/null'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/\[#+\] 100\.0% .* MB\/s .* rec\/s {2}ETA 0s/)
    expect(r.stdout).toContain('in total (QC-passed reads + QC-failed reads)')
  })

  it('flagstat --json and -O json print samtools JSON', () => {
    expect(cli(['flagstat', '--json', SAMPLE]).stdout).toBe(expected('htslib_test_ce_1000', 'flagstat.json'))
    expect(cli(['flagstat', '-O', 'json', SAMPLE]).stdout).toBe(expected('htslib_test_ce_1000', 'flagstat.json'))
  })

  it('reads stdin with -', () => {
    const r = cli(['count', '--chunk-size', '64k', '-'], fs.readFileSync(SAMPLE))
    expect(r.stdout).toBe(expected('htslib_test_ce_1000', 'count'))
  })

  it('reads stdin arriving slowly through a pipe', async () => {
    const child = spawn(process.execPath, [MAIN, 'count', '-'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    const bytes = fs.readFileSync(corpusBam('htslib_test_ce_large_seq'))
    for (let at = 0; at < bytes.length; at += 50_000) {
      child.stdin.write(bytes.subarray(at, at + 50_000))
      await new Promise((r) => setTimeout(r, 30))
    }
    child.stdin.end()
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0)
    expect(out).toBe(expected('htslib_test_ce_large_seq', 'count'))
  })

  it('count takes samtools filters in decimal, hex and octal', () => {
    expect(cli(['count', '-F', '0x4', '-q', '0', SAMPLE]).stdout.trim()).toBe('1000')
    // `samtools view -c -f 16` (and -f 0x10, -f 020) on this file: 439 reverse-strand records (samtools 1.16.1)
    for (const f of ['16', '0x10', '020']) expect(cli(['count', '-f', f, SAMPLE]).stdout, `-f ${f}`).toBe('439\n')
  })

  it('--buffered only where it is honoured; the filters\' long names are the API\'s', () => {
    expect(cli(['flagstat', '--buffered', SAMPLE]).stdout).toBe(expected('htslib_test_ce_1000', 'flagstat.txt'))
    const refused = cli(['view', '--buffered', SAMPLE])
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringContaining("unknown option '--buffered'")])
    expect(cli(['count', '--required-flags', '16', SAMPLE]).stdout).toBe('439\n')
  })

  it('idxstats needs no index', () => {
    expect(cli(['idxstats', SAMPLE]).stdout).toBe(expected('htslib_test_ce_1000', 'idxstats.txt'))
  })
})

describe('errors: one line naming the input and offset, non-zero exit', () => {
  it.each([
    ['missing file', ['flagstat', 'no/such.bam'], /^bamstream flagstat: no\/such\.bam: cannot open: no such file or directory \(ENOENT\)\n$/],
    ['not BGZF', ['count', 'package.json'], /^bamstream count: package\.json: not a BGZF file: bad gzip magic \(at byte 0\)\n$/],
    ['bad option', ['flagstat', '--chunk-size', 'lots', SAMPLE], /invalid size "lots"/],
  ])('%s', (_label, args, pattern) => {
    const r = cli(args)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(pattern)
    expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2)
  })

  it('a truncated file names the byte offset', () => {
    const bytes = fs.readFileSync(SAMPLE)
    const cut = path.join(dir, 'cut.bam')
    fs.writeFileSync(cut, bytes.subarray(0, 30_000))
    const r = cli(['flagstat', cut])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/cut\.bam: truncated file: .* \(at byte \d+\)\n$/)
  })

  it('a user op that throws: ERR_OP with the input, the record\'s offset, then the op\'s stack', () => {
    const op = path.resolve(import.meta.dirname, '../fixtures/ops/type-error-op.mjs')
    const r = cli(['run', op, SAMPLE, '--options', '{"name":"SRR065390.256433"}', '-@', '2'])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    const [line, ...stack] = r.stderr.split('\n')
    expect(line).toMatch(/^bamstream run: .*htslib_test_ce_1000\.bam: op "type-error" threw TypeError: Cannot read properties of undefined \(reading 'length'\) \(at byte \d+\)$/)
    expect(stack[0]).toBe("TypeError: Cannot read properties of undefined (reading 'length')")
    expect(stack[1]).toContain('type-error-op.mjs:10')
  })
})

describe('bamstream view', () => {
  it('-h prints samtools view --no-PG -h output', () => {
    expect(cli(['view', '-h', SAMPLE]).stdout).toBe(expected('htslib_test_ce_1000', 'sam'))
  })

  it('-c counts like samtools view -c', () => {
    expect(cli(['view', '-c', SAMPLE]).stdout).toBe(expected('htslib_test_ce_1000', 'count'))
  })

  it('| head exits quietly with status 0 (EPIPE handled)', async () => {
    const big = corpusBam('htslib_test_ce_large_seq')
    const child = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${MAIN}" view --chunk-size 1 "${big}" | head -c 100 > /dev/null`])
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += d })
    const code = await new Promise((resolve) => child.on('exit', resolve))
    expect(code).toBe(0)
    expect(stderr).toBe('')
  })

  it('-o to an unwritable place is a clear error', () => {
    const r = cli(['view', '-o', path.join(dir, 'missing-dir', 'x.sam'), SAMPLE])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`bamstream view: ${path.join(dir, 'missing-dir', 'x.sam')}: cannot write output: no such file or directory (ENOENT)\n`)
  })

  it('a full disk on stdout is a clear error', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${MAIN}" view "${SAMPLE}" > /dev/full`], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('bamstream view: cannot write standard output: no space left on device (ENOSPC)\n')
  })

  it('-b -o writes a BAM that reads back the same', () => {
    const out = path.join(dir, 'out.bam')
    expect(cli(['view', '-b', '-o', out, SAMPLE]).status).toBe(0)
    expect(cli(['view', '-h', out]).stdout).toBe(expected('htslib_test_ce_1000', 'sam'))
  })
})

describe('--help for every command', () => {
  it.each([['flagstat'], ['count'], ['idxstats'], ['view'], ['daemon'], ['runs'], ['sensor']])('%s --help', (cmd) => {
    const r = cli([cmd, '--help'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^Usage: bamstream /)
  })
})

describe('bamstream --version', () => {
  it('names the version and the inflater and deflater in use, honouring BAMSTREAM_INFLATE and BAMSTREAM_DEFLATE', () => {
    const r = cli(['--version'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^bamstream \d+\.\d+\.\d+\nnode v\d+.*\ninflater: .+\ndeflater: .+\nSAM formatter: (native|JavaScript)\nscan kernel \(flagstat, count\): (native|JavaScript)\nheader walk \(local files\): (native|JavaScript)\nnative addon: .+\n$/)
    if (nativeAddonPath() !== null) expect(r.stdout).toContain('SAM formatter: native\nscan kernel (flagstat, count): native\nheader walk (local files): native\n')
    const env = { ...process.env, BAMSTREAM_INFLATE: 'zlib', BAMSTREAM_DEFLATE: 'zlib', BAMSTREAM_SAM: 'js', BAMSTREAM_SCAN: 'js', BAMSTREAM_WALK: 'js' }
    const zlib = spawnSync(process.execPath, [MAIN, '-V'], { encoding: 'utf8', env })
    expect(zlib.stdout).toContain('inflater: node:zlib\ndeflater: node:zlib\nSAM formatter: JavaScript\nscan kernel (flagstat, count): JavaScript\nheader walk (local files): JavaScript\n')
  })
})

describe('the bundle users run (package.json bin, scripts/bundle.mjs)', () => {
  it('is what bin names, a CommonJS file that starts with node and runs --version with the native inflater when the addon is built', () => {
    expect(path.relative(path.resolve(import.meta.dirname, '../..'), MAIN)).toBe(path.join('dist', 'bundle', 'bamstream.cjs'))
    expect(fs.readFileSync(MAIN, 'utf8')).toMatch(/^#!\/usr\/bin\/env -S node /)
    const r = cli(['--version'])
    expect(r.status).toBe(0)
    if (nativeAddonPath() !== null) expect(r.stdout).toMatch(/\ninflater: (ISA-L igzip \+ )?libdeflate \(native\)\n/)
    expect(r.stdout).toMatch(/native addon: .*native\/build\/Release\/bgzf\.node\n|native addon: not built/)
  })

  it('gives the pool its bundled worker (one file), not tsc\'s ES modules, and user ops load in it', () => {
    // stdin has no size known up front, so it always runs on the pool's worker threads
    const r = spawnSync(process.execPath, [MAIN, 'run', path.resolve(import.meta.dirname, '../../examples/reverse-strand.js'), '-', '-@', '2'], {
      input: fs.readFileSync(SAMPLE), encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'module' }, timeout: 60_000,
    })
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(439) // samtools view -c -f 16, as above
    expect(r.stderr).toMatch(/load "[^"]*dist\/bundle\/worker\.cjs"/)
    expect(r.stderr).not.toMatch(/dist\/workers\/chunk\.js|workers\/entry\.cjs/)
  })

  it('runs from V8\'s code cache after its first run, kept in a private folder of TMPDIR; BAMSTREAM_CODE_CACHE=0 keeps none', () => {
    const tmp = fs.mkdtempSync(path.join(dir, 'tmpdir-'))
    const run = (env: Record<string, string> = {}): string => {
      const r = spawnSync(process.execPath, [MAIN, 'flagstat', SAMPLE], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp, ...env }, timeout: 60_000 })
      expect(r.status).toBe(0)
      return r.stdout
    }
    run({ BAMSTREAM_CODE_CACHE: '0' })
    expect(fs.readdirSync(tmp)).toEqual([])
    expect(run()).toBe(expected('htslib_test_ce_1000', 'flagstat.txt'))
    const [folder] = fs.readdirSync(tmp)
    expect(folder).toMatch(/^bamstream-code-cache-\d+$/)
    expect(fs.statSync(path.join(tmp, folder!)).mode & 0o777).toBe(0o700)
    const [cache] = fs.readdirSync(path.join(tmp, folder!))
    expect(cache).toMatch(/^cli-[0-9a-f]{8}\.bin$/)
    const made = fs.statSync(path.join(tmp, folder!, cache!)).mtimeMs
    expect(run()).toBe(expected('htslib_test_ce_1000', 'flagstat.txt')) // from the cache, which V8 took: not written again
    expect(fs.statSync(path.join(tmp, folder!, cache!)).mtimeMs).toBe(made)
    fs.chmodSync(path.join(tmp, folder!), 0o777) // a folder others may write: neither read nor written
    fs.rmSync(path.join(tmp, folder!, cache!))
    expect(run()).toBe(expected('htslib_test_ce_1000', 'flagstat.txt'))
    expect(fs.readdirSync(path.join(tmp, folder!))).toEqual([])
  })

  it('is shipped: npm pack lists the bundle, its worker and the native sources, not the bundler', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: path.resolve(import.meta.dirname, '../..'), encoding: 'utf8', timeout: 120_000 })
    expect(r.status).toBe(0)
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path)
    for (const f of ['dist/bundle/bamstream.cjs', 'dist/bundle/cli.cjs', 'dist/bundle/worker.cjs', 'dist/bundle/listing-worker.js', 'dist/src/index.js', 'workers/entry.cjs', 'native/binding.gyp', 'scripts/build-native.mjs']) expect(files).toContain(f)
    // every C file and header of the addon, so that an install from the registry can build it
    const native = fs.readdirSync(path.resolve(import.meta.dirname, '../../native')).filter((f) => /\.[ch]$/.test(f))
    expect(native).toContain('scan.c')
    for (const f of native) expect(files).toContain(`native/${f}`)
    expect(files).not.toContain('scripts/bundle.mjs')
  })
})
