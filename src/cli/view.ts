/**
 * `bamstream view`: filter and convert, like `samtools view --no-PG`.
 */
import { Option, type Command } from 'commander'
import { BamError } from '../errors.js'
import type { FilterOptions } from '../ops/filter.js'
import { addEngineOptions, addFilterOptions, engineOptions, filterOptions, parseInteger, type EngineFlags } from './options.js'
import { addClusterOptions, clusterOptions, type ClusterFlags } from './cluster.js'
import { checkStdoutOpen, writeFile, writeStdout } from './output.js'

interface ViewFlags extends EngineFlags, FilterOptions {
  header?: boolean
  headerOnly?: boolean
  count?: boolean
  bam?: boolean
  output?: string
  region?: string
  index: boolean
  level?: number
}

const VIEW_HELP = `
Output is the file's order. SAM text is byte-identical to \`samtools view --no-PG\`
(no @PG line is added). Records are formatted (SAM) or re-encoded and BGZF-compressed
(-b) in the worker threads; the main thread only writes buffers, in order.

--region reads only the chunks named by the .bai beside a local file (x.bam.bai
or x.bai) when there is one; otherwise (or with --no-index, or for stdin and
URLs) it scans the whole file. Either way every record is tested for overlap
exactly as samtools' index iterator decides it, so the output is the same.

Examples:
  bamstream view -h in.bam | head
  bamstream view -b -F 4 -q 30 -o mapped.bam in.bam
  bamstream view -c -f 2 in.bam
  bamstream view --region chr1:100,000-200,000 in.bam`

/** Registers `view`. */
export function registerViewCommand(program: Command): void {
  const cmd = program.command('view')
    .description('print records as SAM (or BAM with -b), filtered, in file order; identical to `samtools view --no-PG`')
    .argument('<input>', 'BAM file path, http(s):// URL, or - for stdin')
    .argument('[region]', 'region chr[:beg[-end]], 1-based inclusive (same as --region)')
    .helpOption('--help', 'display help for command')
    .option('-h, --header', 'include the header in SAM output')
    .option('-H, --header-only', 'print the header only')
    .option('-c, --count', 'print only the count of matching records')
    .option('-b, --bam', 'write BAM (BGZF-compressed, with header and EOF block)')
    .option('-o, --output <file>', 'write to FILE instead of stdout (a regular file is written atomically: renamed into place when complete; a device or FIFO is written in place)')
    .option('--region <region>', 'only records overlapping chr[:beg[-end]] (1-based, inclusive); uses a .bai if present, else a full scan')
    .option('--no-index', 'with a region: ignore any .bai and scan the whole file')
    .addOption(new Option('-l, --level <n>', 'compression level for -b, 0-9 as samtools -l (default: libdeflate 6 when built, else zlib 6)').argParser(parseInteger))
    .addHelpText('after', VIEW_HELP)
  addClusterOptions(addFilterOptions(addEngineOptions(cmd))).action(async (input: string, regionArg: string | undefined, o: ViewFlags & ClusterFlags) => {
    const region = o.region ?? regionArg
    if (o.region && regionArg) throw new BamError('ERR_OPTION', 'give the region once, either with --region or as an argument')
    const { countRecords, view } = await import('../engine/view.js') // loaded only when view runs
    const engine = { ...engineOptions(o, o.output !== undefined), ...clusterOptions(o) } // a progress bar only when stdout is not the output
    if (o.count) {
      const text = `${await countRecords(input, { ...filterOptions(o), ...engine, region, noIndex: !o.index })}\n`
      await (o.output ? writeFile(o.output, text) : writeStdout(text))
      return
    }
    if (!o.output) checkStdoutOpen()
    await view(input, {
      ...filterOptions(o), ...engine, region, noIndex: !o.index, level: o.level,
      output: o.output ?? process.stdout,
      format: o.bam ? 'bam' : 'sam',
      header: o.headerOnly ? 'only' : o.header || o.bam ? 'include' : 'none',
    })
  })
}
