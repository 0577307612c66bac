#!/usr/bin/env node
// Prints the top functions by self time of each .cpuprofile given (node --cpu-prof output).
// usage: node scripts/cpuprofile-top.mjs [--top N] FILE.cpuprofile...
import fs from 'node:fs'
import path from 'node:path'

const args = process.argv.slice(2)
let top = 15
if (args[0] === '--top') { top = Number(args[1]); args.splice(0, 2) }
for (const file of args) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'))
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const self = new Map()
  const dt = prof.timeDeltas
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i])
    const f = n.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url ? path.basename(f.url) : ''}${f.lineNumber >= 0 ? `:${f.lineNumber + 1}` : ''}`
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0))
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  console.log(`\n${path.basename(file)}: ${(total / 1000).toFixed(0)} ms sampled`)
  for (const [k, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${(100 * us / total).toFixed(1).padStart(5)}%  ${k}`)
  }
}
