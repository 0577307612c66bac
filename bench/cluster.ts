/**
 * `npm run bench -- --only cluster`: bamstream on BullMQ/Redis against the
 * local run, in one sitting, with a redis-server and worker processes of its
 * own on this machine:
 *
 * 1. the coordinator's time and bytes read before any split can start, at
 *    200 MB and 4 GB (header only: independent of the file size);
 * 2. the overhead of `--redis` at 1 GB with one worker on the same cores;
 * 3. a multi-GB file in 32+ splits over 3 worker processes: identical to
 *    local; again with one worker killed (SIGKILL) mid-run; again with Redis
 *    restarted mid-run;
 * 4. a model of 1 TB on N machines from the measured per-split cost.
 */
import path from 'node:path'
import { runOnCluster, type ClusterPlan } from '../src/cluster/submit.js'
import { bamstreamArgv, measure, type Sample } from './measure.js'
import { ensureCopies, type BenchInput } from './inputs.js'
import { fmt, median } from './stats.js'
import { launchWorker, startRedis, type TestRedis as BenchRedis } from './cluster-harness.js'

const MAIN = bamstreamArgv()

/** What the section needs from the bench's arguments. */
export interface ClusterBenchArgs {
  threads: number
  rounds: number
  data: string
}

/**
 * Runs the cluster section and returns its markdown.
 *
 * @example
 * ```ts
 * const md = await clusterSection({ threads: 2, rounds: 3, data: DATA_DIR }, ensureBase())
 * ```
 */
export async function clusterSection(a: ClusterBenchArgs, base: BenchInput): Promise<string> {
  const oneGig = await ensureCopies(base, 5, '1G', a.data)
  const twoGig = await ensureCopies(base, 10, '2G', a.data)
  const fourGig = await ensureCopies(base, 20, '4G', a.data)
  const redis = await startRedis()
  try {
    let md = '## Cluster: BullMQ on Redis (redis-server and workers on this machine)\n\n'
    md += await coordinatorTable(redis.url, [base, fourGig])
    md += await overheadTable(redis.url, oneGig, a)
    const run = await bigRuns(redis, twoGig)
    md += run.md
    md += model(run.perSplitMs, run.splitBytes, run.mergeMsPerSplit, run.coordinatorMs)
    return md
  } finally {
    await redis.stop()
  }
}

/** 1. Coordinator cost with no worker running: what it reads and how long until the flow is queued. */
async function coordinatorTable(url: string, inputs: BenchInput[]): Promise<string> {
  let md = '### Coordinator: time and bytes read before the first split can start\n\n' +
    '| input | size | splits (256 MiB) | coordinator ms | bytes read |\n|---|---:|---:|---:|---:|\n'
  for (const input of inputs) {
    const plan = await planOnly(url, input.path)
    md += `| ${path.basename(input.path)} | ${fmt(input.bytes / 1e9, 2)} GB | ${plan.splits.length} | ${plan.submitMs} | ${plan.bytesRead} |\n`
  }
  return `${md}\nThe coordinator reads the header's blocks (read in 64 KiB pieces) and the file size, nothing else: the same bytes at both sizes.\n\n`
}

async function planOnly(url: string, file: string): Promise<ClusterPlan> {
  const abort = new AbortController()
  let plan: ClusterPlan | undefined
  await runOnCluster(file, 'flagstat', {}, { redis: url, onPlan: (p) => { plan = p; abort.abort() }, signal: abort.signal }).catch(() => undefined)
  if (!plan) throw new Error('the coordinator did not plan')
  return plan
}

/** 2. `--redis` vs local at 1 GB, one worker process with the same threads, interleaved rounds. */
async function overheadTable(url: string, input: BenchInput, a: ClusterBenchArgs): Promise<string> {
  const worker = await startWorker(url, ['-@', String(a.threads), '--concurrency', '2'])
  try {
    const rounds = Math.max(1, Math.min(a.rounds, 3))
    const local: Sample[] = []
    const cluster: Sample[] = []
    for (let i = 0; i < rounds; i++) {
      local.push(await measure([...MAIN, 'flagstat', '-@', String(a.threads), input.path]))
      cluster.push(await measure([...MAIN, 'flagstat', '--redis', url, input.path]))
      if (cluster.at(-1)!.stdout !== local.at(-1)!.stdout) throw new Error('cluster flagstat differs from local')
    }
    const l = median(local.map((s) => s.wallS))
    const c = median(cluster.map((s) => s.wallS))
    return `### Overhead of --redis at ${fmt(input.bytes / 1e9, 2)} GB (flagstat, ${a.threads} threads; median of ${rounds} interleaved rounds)\n\n` +
      '| run | wall s | MB/s | vs local |\n|---|---:|---:|---:|\n' +
      `| local \`flagstat -@${a.threads}\` | ${fmt(l, 2)} | ${fmt(input.bytes / 1e6 / l, 0)} | 1.00 |\n` +
      `| \`flagstat --redis\` (1 worker, -@${a.threads}, 256 MiB splits) | ${fmt(c, 2)} | ${fmt(input.bytes / 1e6 / c, 0)} | ${fmt(c / l, 2)} |\n\n` +
      `Output identical in every round. The cluster run is ${fmt(100 * (c / l - 1), 1)}% slower (target ≤ 15%).\n\n`
  } finally {
    await worker.stop()
  }
}

interface BigRuns {
  md: string
  perSplitMs: number
  splitBytes: number
  mergeMsPerSplit: number
  coordinatorMs: number
}

/** 3. 32+ splits over 3 workers: clean, one worker SIGKILLed mid-run, Redis restarted mid-run. */
async function bigRuns(redis: BenchRedis, input: BenchInput): Promise<BigRuns> {
  const splitBytes = 64 * 1024 * 1024
  const splits = Math.ceil(input.bytes / splitBytes)
  const local = await measure([...MAIN, 'flagstat', '-@', '2', input.path])
  const args = [...MAIN, 'flagstat', '--redis', redis.url, '--split-size', String(splitBytes), input.path]
  let md = `### ${fmt(input.bytes / 1e9, 2)} GB in ${splits} splits of 64 MiB over 3 worker processes (-@1 each)\n\n` +
    '| run | wall s | result |\n|---|---:|---|\n' + `| local \`flagstat -@2\` | ${fmt(local.wallS, 2)} | reference |\n`
  const workers = await Promise.all([0, 1, 2].map(() => startWorker(redis.url, ['-@', '1', '--concurrency', '1', '--lock-timeout', '5000'])))
  const verdict = (s: Sample): string => s.code !== 0 ? `failed: ${s.stdout.trim() || 'see stderr'}` : s.stdout === local.stdout ? 'identical' : '**DIFFERENT**'
  try {
    const clean = await measure(args)
    md += `| cluster | ${fmt(clean.wallS, 2)} | ${verdict(clean)} |\n`
    const costs = workers.flatMap((w) => [...w.log().matchAll(/: \d+ records in (\d+) ms/g)].map((m) => Number(m[1])))
    const merges = workers.flatMap((w) => [...w.log().matchAll(/merged (\d+) splits .* in (\d+) ms/g)].map((m) => Number(m[2]) / Number(m[1])))
    // SIGKILL one worker once it has started a split; the others take its split over after the lock expires
    const marks = workers.map((w) => w.log().length)
    const killed = measure(args)
    await until(() => workers[0]!.log().slice(marks[0]).includes('started'))
    await sleep(1000)
    workers[0]!.proc.kill('SIGKILL')
    const k = await killed
    md += `| cluster, one worker killed (SIGKILL) mid-split | ${fmt(k.wallS, 2)} | ${verdict(k)} |\n`
    // Redis restarted (append-only file) once a few splits are done
    const before = workers.slice(1).map((w) => w.log().length)
    const restarted = measure(args)
    await until(() => workers.slice(1).reduce((n, w, i) => n + (w.log().slice(before[i]).match(/records in/g)?.length ?? 0), 0) >= 4)
    await redis.restart()
    const r = await restarted
    md += `| cluster, Redis restarted mid-run | ${fmt(r.wallS, 2)} | ${verdict(r)} |\n\n`
    const plan = await planOnly(redis.url, input.path)
    return { md, perSplitMs: median(costs), splitBytes, mergeMsPerSplit: merges.length ? median(merges) : 0, coordinatorMs: plan.submitMs }
  } finally {
    await Promise.all(workers.map((w) => w.stop()))
  }
}

/** 4. A terabyte on N machines, from the per-split cost measured above. */
function model(perSplitMs: number, splitBytes: number, mergeMsPerSplit: number, coordinatorMs: number): string {
  const coreSecondsPerGB = perSplitMs / 1000 / (splitBytes / 1e9)
  const tb = 1e12
  const split = 256 * 1024 * 1024
  const n = Math.ceil(tb / split)
  const cores = 16
  let md = '### Model: 1 TB on N machines\n\n' +
    `Measured here: one split of 64 MiB on one worker thread took a median ${fmt(perSplitMs, 0)} ms ` +
    `(${fmt(coreSecondsPerGB, 2)} core-seconds per GB, this machine's cores under its current load); the merge spent ${fmt(mergeMsPerSplit, 1)} ms per split; ` +
    `the coordinator ${coordinatorMs} ms. Model for 1 TB = ${n} splits of 256 MiB on N machines of ${cores} such cores, assuming ` +
    'that storage serves every machine at the rate its cores consume (a parallel filesystem or object store), that a machine scales ' +
    'linearly over its cores (README: thread scaling), and that merge and queue costs stay per split as measured:\n\n' +
    '| machines | cores | splits per machine | map time | merge | total |\n|---:|---:|---:|---:|---:|---:|\n'
  for (const machines of [1, 4, 16, 64, 256]) {
    const mapS = Math.ceil(n / machines) * (coreSecondsPerGB * (split / 1e9)) / cores
    const mergeS = (n * mergeMsPerSplit) / 1000
    md += `| ${machines} | ${machines * cores} | ${Math.ceil(n / machines)} | ${duration(mapS)} | ${duration(mergeS)} | ${duration(mapS + mergeS + coordinatorMs / 1000)} |\n`
  }
  return `${md}\nBeyond a few hundred machines the splits per machine drop to a handful and the sequential merge (run once, after the last split) and storage bandwidth bound the time.\n`
}

function duration(s: number): string {
  return s >= 3600 ? `${fmt(s / 3600, 1)} h` : s >= 60 ? `${fmt(s / 60, 1)} min` : `${fmt(s, 1)} s`
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function until(check: () => boolean, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await sleep(50)
  }
}

/** A worker of the built CLI (with the benchmark's node flags). */
function startWorker(url: string, args: string[]): ReturnType<typeof launchWorker> {
  return launchWorker(MAIN, url, args, 30_000)
}
