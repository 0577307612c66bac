import fs from 'node:fs'
import { FUZZ_RUN, fuzzCase, readBaseBam } from './fuzz-bam.js'
const base = readBaseBam(FUZZ_RUN.base, FUZZ_RUN.records)
for (const i of process.argv.slice(2).map(Number)) {
  const c = fuzzCase(base, FUZZ_RUN.seed, i)
  fs.writeFileSync(`/tmp/i9/case-${i}.bam`, c.bam)
  console.log(c.name, c.record, c.detail, c.damagedOffset)
}
