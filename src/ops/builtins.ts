/**
 * The built-in ops: one static table from name to a loader. An op module is
 * imported only when a run asks for it, so a worker that only counts never
 * loads the SAM and BGZF writers.
 */
import type { AnyOp } from './op.js'

/**
 * Built-in op name → its module, loaded on first use.
 *
 * @example
 * ```ts
 * const op = await BUILTIN_OPS.flagstat()
 * ```
 */
export const BUILTIN_OPS: Readonly<Record<string, () => Promise<AnyOp>>> = Object.freeze({
  count: async () => (await import('./count.js')).countOp,
  flagstat: async () => (await import('./flagstat.js')).flagstatOp,
  idxstats: async () => (await import('./idxstats.js')).idxstatsOp,
  view: async () => (await import('./view.js')).viewOp,
})
