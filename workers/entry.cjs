'use strict'
// The file piscina loads in each worker. piscina require()s its entry first, and
// Node 20's require() of an ES module (require(esm)) intermittently aborts the
// whole process (a ModuleWrap assertion). This CommonJS shim needs no such path:
// it import()s the compiled ES module worker and hands it every task. Workers
// so keep the process's own flags (no execArgv of ours to filter).
const path = require('node:path')
const { pathToFileURL } = require('node:url')

const target = pathToFileURL(path.join(__dirname, '..', 'dist', 'workers', 'chunk.js')).href
let handler

module.exports = async function chunkEntry (task) {
  if (!handler) handler = (await import(target)).default
  return handler(task)
}
