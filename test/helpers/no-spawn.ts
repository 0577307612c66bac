/**
 * Set up by `npm run test:fast` (vitest.config.ts): every way of starting a
 * process throws, so a test that spawns fails instead of slowing the fast run.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module'

const childProcess = createRequire(import.meta.url)('node:child_process') as Record<string, unknown>
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  childProcess[name] = () => {
    throw new RangeError(`test:fast starts no processes (child_process.${name}); move this test to the spawning list in vitest.config.ts`)
  }
}
syncBuiltinESMExports()
