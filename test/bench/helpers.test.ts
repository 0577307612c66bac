import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fmt, humanBytes, markdownTable, median, medianOrNull, ratio } from '../../bench/stats.js'
import { lineChart } from '../../bench/plot.js'
import { measure, rusageWrapper } from '../../bench/measure.js'
import { memoryChart, memoryTable, type MemoryRow } from '../../bench/memory.js'
import { peersTable, type Result } from '../../bench/peers.js'
import { canSpawn } from '../helpers/corpus.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bamstream-bench-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('stats', () => {
  it('takes medians of odd and even counts, ignoring nulls where asked', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
    expect(medianOrNull([null, 5, null, 1])).toBe(3)
    expect(medianOrNull([null])).toBeNull()
  })

  it('formats numbers, ratios and sizes, with n/a for missing values', () => {
    expect(fmt(1.234)).toBe('1.23')
    expect(fmt(null)).toBe('n/a')
    expect(ratio(3, 2)).toBe('1.50×')
    expect(ratio(3, 0)).toBe('n/a')
    expect(ratio(null, 2)).toBe('n/a')
    expect(humanBytes(209_725_216)).toBe('209.7 MB')
    expect(humanBytes(4_194_492_343)).toBe('4.19 GB')
  })

  it('renders a markdown table', () => {
    expect(markdownTable(['a', 'b'], [['1', '2'], ['3', '4']])).toBe('| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n')
  })
})

describe.runIf(canSpawn())('measure', () => {
  it('times a command and reads its output and exit code', async () => {
    const s = await measure([process.execPath, '-e', 'process.stdout.write("hi"); process.exitCode = 3'])
    expect(s.stdout).toBe('hi')
    expect(s.code).toBe(3)
    expect(s.wallS).toBeGreaterThan(0)
    if (rusageWrapper() !== 'none') {
      expect(s.rssMB).toBeGreaterThan(10) // a Node process
      expect(s.cpuS).toBeGreaterThanOrEqual(0)
    }
  })

  it('sees a larger peak RSS for a process that touches more memory', async () => {
    if (rusageWrapper() === 'none') return
    const small = await measure([process.execPath, '-e', '0'])
    const big = await measure([process.execPath, '-e', 'const b = Buffer.alloc(200e6, 1); process.stdout.write(String(b[5]))'])
    expect(big.rssMB! - small.rssMB!).toBeGreaterThan(150)
  })
})

describe('reports', () => {
  const input = { label: '200M', path: 'x.bam', bytes: 200e6 }

  it('peers table: ratios against samtools for the same op, and skipped peers shown as such', () => {
    const rows: Result[] = [
      { op: 'flagstat', tool: 'bamstream -@2', argv: [], wallS: 0.5, cpuS: 1, rssMB: 100, outputOk: true },
      { op: 'flagstat', tool: 'samtools -@2', argv: [], wallS: 1, cpuS: 1.5, rssMB: 5 },
      { op: 'flagstat', tool: 'sambamba -t 2', argv: [], skipped: 'sambamba not installed', wallS: NaN, cpuS: null, rssMB: null },
    ]
    const table = peersTable(rows, input, 1e6)
    expect(table).toContain('| flagstat | bamstream -@2 | 0.50 | 400 | 2.00 | 1.00 | 100 | 0.50× | 20.00× | identical |')
    expect(table).toContain('skipped: sambamba not installed')
  })

  it('memory table and chart show both curves and the streaming spread', () => {
    const rows: MemoryRow[] = [
      { input: { ...input, bytes: 0.2e9 }, streamingMB: 110, bufferedMB: 400, streamingS: 1, bufferedS: 1.2 },
      { input: { ...input, bytes: 4.2e9 }, streamingMB: 121, bufferedMB: 4400, streamingS: 18, bufferedS: 25 },
    ]
    expect(memoryTable(rows)).toContain('max ÷ min = 1.10')
    const svg = memoryChart(rows)
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('streaming (ops)')
    expect(svg.match(/<polyline/g)).toHaveLength(2)
  })

  it('line chart escapes text and writes a parseable SVG', () => {
    const svg = lineChart([{ name: 'a < b', color: 'red', points: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }], {
      title: 'T & U', xLabel: 'x', yLabel: 'y', xTicks: [{ x: 1, label: '1' }, { x: 2, label: '2' }],
    })
    expect(svg).toContain('a &lt; b')
    expect(svg).toContain('T &amp; U')
    fs.writeFileSync(path.join(dir, 'c.svg'), svg)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
  })
})
