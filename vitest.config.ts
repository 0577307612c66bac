import { defineConfig } from 'vitest/config'

/**
 * `npm run test:fast` (`vitest run --mode fast`) is the quick loop: no process
 * is started (the files below are left out, the oracle tools look absent so
 * their tests skip as they do where the tools are not installed, and
 * test/helpers/no-spawn.ts makes any other spawn fail loudly), the corpus
 * golden tests run on a subset of each shape (test/helpers/corpus.ts), and test
 * files share two worker threads of one process (and one engine pool per
 * thread, test/helpers/pool.ts). Pool workers run the compiled dist/, which
 * test/helpers/fresh-dist.ts rebuilds first only when src/ changed (a `tsc`
 * that finds nothing to do still costs 4 s). `npm test` runs everything, each
 * file isolated.
 */

/** Test files that start processes: the built CLI, the daemon, node children, samtools. */
const SPAWNING = [
  'test/cli/cli.test.ts',
  'test/readme.test.ts',
  'test/sensor/cli.test.ts',
  'test/sensor/daemon.test.ts',
  'test/sensor/store.test.ts',
  'test/engine/live.test.ts',
  'test/engine/inputs.test.ts',
  'test/engine/sink.test.ts',
  'test/engine/http.test.ts',
  'test/sensor/bad-record.test.ts',
  'test/sensor/schema.test.ts',
  'test/sensor/status-page.test.ts',
  'test/sensor/operator.test.ts',
  'test/sensor/job.test.ts',
  'test/cli/samtools-options.test.ts',
  'test/cluster/corpus.test.ts',
  'test/cluster/daemon.test.ts',
  'test/cluster/faults.test.ts',
  'test/cluster/task.test.ts',
]

/** Slow files: benchmark scaffolding, extreme shapes (1 Mbp reads, 30 000 references), the record fuzzer (it also spawns). */
const SLOW = [
  'test/bench/synthetic/synthetic.test.ts',
  'test/bench/peers.test.ts',
  'test/engine/shapes.test.ts',
  'test/engine/fuzz.test.ts',
  'test/sensor/lister.test.ts', // scans 20,000 files
]

export default defineConfig(({ mode }) => ({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    ...(mode === 'fast'
      ? {
          exclude: [...SPAWNING, ...SLOW],
          env: { BAMSTREAM_TEST_FAST: '1' },
          globalSetup: ['test/helpers/fresh-dist.ts'],
          setupFiles: ['test/helpers/no-spawn.ts'],
          isolate: false,
          // threads, not forks: no process to boot per fork (nor at the end, when vitest replaces the
          // forks it "recycles"), and no IPC: 15-20% less wall time measured side by side
          pool: 'threads',
          poolOptions: { threads: { minThreads: 2, maxThreads: 2 } },
        }
      : {}),
  },
}))
