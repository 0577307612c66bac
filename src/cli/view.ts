/**
 * `bamstream view`: filter and convert, like `samtools view --no-PG`.
 */
import { Option, type Command } from 'commander'
import { BamError } from '../errors.js'
import { addSamtoolsFilters, samtoolsFilters, type FilterFlags } from './filter-options.js'
import { addEngineOptions, engineOptions, parseInteger, type EngineFlags } from './options.js'
import { addClusterOptions, clusterOptions, type ClusterFlags } from './cluster.js'
import { checkStdoutOpen, writeFile, writeStdout } from './output.js'

interface ViewFlags extends EngineFlags, FilterFlags {
  header?: boolean
  headerOnly?: boolean
  count?: boolean
  bam?: boolean
  output?: string
  region?: string[]
  targetFile?: string
  regionFile?: string
  index: boolean
  level?: number
}

const VIEW_HELP = `
Output is the file's order. SAM text is byte-identical to \`samtools view --no-PG\`
(no @PG line is added). Records are formatted (SAM) or re-encoded and BGZF-compressed
(-b) in the worker threads; the main thread only writes buffers, in order.

Regions are written as samtools takes them: chr, chr:beg, chr:beg-end, chr:-end,
1-based inclusive, with 1,000 / 1k / 1e3 forms; {name}:beg-end for names holding
':'; '*' for reads without a reference and '.' for every read. Several regions
(and -L BED intervals) are merged: output keeps file order and holds each record
once, as 'samtools view -M' (plain 'samtools view' repeats a record once per
region it overlaps). A region naming an unknown reference, a reversed range or
bad coordinates is skipped with a warning, as samtools does; an empty region is
an error.

Regions read only the chunks named by the .bai beside a local file (x.bam.bai
or x.bai) when there is one; otherwise (or with --no-index, or for stdin and
URLs) the whole file is scanned (samtools needs an index). Either way every
record is tested for overlap exactly as samtools' index iterator decides it.

Examples:
  bamstream view -h in.bam | head
  bamstream view -b -F 4 -q 30 -o mapped.bam in.bam
  bamstream view -c -f 2 in.bam
  bamstream view --region chr1:100,000-200,000 in.bam
  bamstream view -c -F UNMAP,SECONDARY -e '[NM] <= 2' in.bam chr1 chr2:1-1M '*'
  bamstream view -s 42.1 -L targets.bed in.bam`

/** Commander's collector for a repeatable option. */
const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** Registers `view`. */
export function registerViewCommand(program: Command): void {
  const cmd = program.command('view')
    .description('print records as SAM (or BAM with -b), filtered, in file order; identical to `samtools view --no-PG`')
    .argument('<input>', 'BAM file path, http(s):// URL, or - for stdin')
    .argument('[regions...]', "regions chr[:beg[-end]] (1-based inclusive), '*' or '.'; several allowed")
    .helpOption('--help', 'display help for command')
    .option('-h, --header', 'include the header in SAM output')
    .option('-H, --header-only', 'print the header only')
    .option('-c, --count', 'print only the count of matching records')
    .option('-b, --bam', 'write BAM (BGZF-compressed, with header and EOF block)')
    .option('-o, --output <file>', 'write to FILE instead of stdout (a regular file is written atomically: renamed into place when complete; a device or FIFO is written in place)')
    .option('--region <region>', 'only records overlapping chr[:beg[-end]] (1-based, inclusive; repeatable); uses a .bai if present, else a full scan', collect)
    .option('-L, --target-file <bed>', 'only records overlapping the intervals of a BED file (alias --targets-file)')
    .addOption(new Option('--targets-file <bed>').hideHelp())
    .option('--region-file <bed>', 'the same as -L (samtools: -M -L; alias --regions-file)')
    .addOption(new Option('--regions-file <bed>').hideHelp())
    .option('-M, --use-index', 'accepted for samtools compatibility: several regions are always merged (as samtools -M)')
    .option('--no-index', 'with regions: ignore any .bai and scan the whole file')
    .addOption(new Option('-l, --level <n>', 'compression level for -b, 0-9 as samtools -l (default: libdeflate 6 when built, else zlib 6)').argParser(parseInteger))
    .addHelpText('after', VIEW_HELP)
  addClusterOptions(addSamtoolsFilters(addEngineOptions(cmd, { chunkDefault: '2M; 4M with -c' }))).action(async (input: string, regionArgs: string[], o: ViewFlags & ClusterFlags & { targetsFile?: string; regionsFile?: string }) => {
    const regions = [...(o.region ?? []), ...regionArgs]
    const beds = [o.targetFile, o.targetsFile, o.regionFile, o.regionsFile].filter((b) => b !== undefined)
    if (beds.length > 1) throw new BamError('ERR_OPTION', 'give one BED file (-L, --target-file, --region-file)')
    const { countRecords, view } = await import('../engine/view.js') // loaded only when view runs
    const engine = { ...engineOptions(o, o.output !== undefined), ...clusterOptions(o) } // a progress bar only when stdout is not the output
    const selection = {
      ...samtoolsFilters(o), regions: regions.length > 0 ? regions : undefined, targetsFile: beds[0], noIndex: !o.index,
      onRegionWarning: (message: string) => { process.stderr.write(`bamstream view: warning: ${message}; skipped, as samtools does\n`) },
    }
    if (o.count) {
      const text = `${await countRecords(input, { ...selection, ...engine })}\n`
      await (o.output ? writeFile(o.output, text) : writeStdout(text))
      return
    }
    if (!o.output) checkStdoutOpen()
    await view(input, {
      ...selection, ...engine, level: o.level,
      output: o.output ?? process.stdout,
      format: o.bam ? 'bam' : 'sam',
      header: o.headerOnly ? 'only' : o.header || o.bam ? 'include' : 'none',
    })
  })
}
