/**
 * libdeflate compiled to WebAssembly. No package of our own ships it: the
 * module inside `@gmod/bgzf-filehandle` (libdeflate through the Rust
 * `libdeflater` crate, a dependency of the @gmod/bam benchmark peer) is loaded
 * when that package is installed. Its `decompress_all` does not check CRC32,
 * so every block's CRC32 and ISIZE are checked here with `zlib.crc32`.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { TRAILER_BYTES } from '../../src/bgzf/block.js'
import { blockwiseInflater, type Inflater } from '../../src/bgzf/inflate.js'

/** The wasm-bindgen glue of the module (src/wasm/bgzf_wasm_bg.js in that package). */
interface Glue {
  __wbg_set_wasm(exports: WebAssembly.Exports): void
  decompress_all(input: Uint8Array): Uint8Array
}

const PACKAGE = '@gmod/bgzf-filehandle'

/**
 * Loads the WebAssembly inflater, or returns null when the package that ships
 * the module is not installed (or its layout changed).
 *
 * @example
 * ```ts
 * const wasm = await loadWasmInflater()
 * if (wasm) wasm.inflate(bytes, blockSizes, isize, coffset)
 * ```
 */
export async function loadWasmInflater(): Promise<Inflater | null> {
  let glue: Glue
  try {
    const main = createRequire(import.meta.url).resolve(PACKAGE)
    const dir = path.join(path.dirname(path.dirname(main)), 'src', 'wasm')
    glue = (await import(pathToFileURL(path.join(dir, 'bgzf_wasm_bg.js')).href)) as Glue
    const module = new WebAssembly.Module(fs.readFileSync(path.join(dir, 'bgzf_wasm_bg.wasm')))
    const instance = new WebAssembly.Instance(module, { './bgzf_wasm_bg.js': glue as unknown as WebAssembly.ModuleImports })
    glue.__wbg_set_wasm(instance.exports)
  } catch {
    return null
  }
  return {
    name: 'libdeflate (WebAssembly)',
    inflate(compressed, blockSizes, isize, coffset, out) {
      let data: Uint8Array | null = null
      try {
        data = glue.decompress_all(compressed)
      } catch {
        data = null
      }
      if (data && data.length === isize && crcsMatch(compressed, blockSizes, data)) {
        if (!out || out.length < isize) return data
        out.set(data)
        return out.subarray(0, isize)
      }
      return blockwiseInflater.inflate(compressed, blockSizes, isize, coffset, out) // throws the precise error
    },
  }
}

/** True if each block's slice of `data` (cut at the ISIZEs) has the block's stored CRC32 and ISIZE. */
function crcsMatch(compressed: Uint8Array, blockSizes: ArrayLike<number>, data: Uint8Array): boolean {
  const view = new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength)
  let src = 0
  let dst = 0
  for (let i = 0; i < blockSizes.length; i++) {
    src += blockSizes[i]!
    const crc = view.getUint32(src - TRAILER_BYTES, true)
    const isize = view.getUint32(src - TRAILER_BYTES + 4, true)
    if (dst + isize > data.length || (zlib.crc32(data.subarray(dst, dst + isize)) >>> 0) !== crc) return false
    dst += isize
  }
  return dst === data.length
}
