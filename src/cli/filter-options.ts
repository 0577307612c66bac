/**
 * samtools view's record filters as command-line options, with samtools'
 * letters and the API's keys as long options (`-F, --excluded-flags`): `-f/-F/-G/--rf` (numbers or `samtools flags` names, repeated
 * options OR-ed), `-q` (any integer, `-q -1` keeps all), `-e` expressions and
 * `-s`/`--subsample`/`--subsample-seed`.
 */
import { Option, type Command } from 'commander'
import { parseFlags } from '../bam/flags.js'
import { compileExpr } from '../bam/expr.js'
import { parseSampleArgument } from '../bam/subsample.js'
import { BamError } from '../errors.js'
import type { FilterOptions } from '../ops/filter.js'

/** The filters as the library takes them (`view`, `count`, `records`): {@link FilterOptions}. */
export type SamtoolsFilters = FilterOptions

/** Commander's parsed values of {@link addSamtoolsFilters}'s options (each long option is the API's key; `-s` parses to `sample`). */
export interface FilterFlags extends FilterOptions {
  sample?: { fraction: number; seed: number }
}

/** A FLAG option's parser: a number or `samtools flags` names; a repeated option ORs into the earlier value. */
function flagsArg(option: string): (text: string, previous?: number) => number {
  return (text, previous) => {
    const flags = parseFlags(text)
    if (flags === undefined) throw new BamError('ERR_OPTION', `${option}: "${text}" is neither a number nor flag names (PAIRED, PROPER_PAIR, UNMAP, MUNMAP, REVERSE, MREVERSE, READ1, READ2, SECONDARY, QCFAIL, DUP, SUPPLEMENTARY)`)
    return (previous ?? 0) | flags
  }
}

/** An integer, negative allowed (samtools reads -q with atoi, so `-q -1` keeps every record). */
function signedInteger(option: string): (text: string) => number {
  return (text) => {
    if (!/^\s*[+-]?\d+\s*$/.test(text)) throw new BamError('ERR_OPTION', `${option}: "${text}" is not an integer`)
    return Number(text)
  }
}

/**
 * Adds samtools view's filter options to a command.
 *
 * @example
 * ```ts
 * addSamtoolsFilters(program.command('count')).action((input, o) => count(input, samtoolsFilters(o)))
 * ```
 */
export function addSamtoolsFilters(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --required-flags <flags>', 'only records with all of these FLAG bits set (a number or names such as PAIRED,PROPER_PAIR)').argParser(flagsArg('-f')))
    .addOption(new Option('-F, --excluded-flags <flags>', 'only records with none of these FLAG bits set (e.g. -F UNMAP,SECONDARY)').argParser(flagsArg('-F')))
    .addOption(new Option('-G, --excluded-all-flags <flags>', 'drop records with all of these FLAG bits set').argParser(flagsArg('-G')))
    .addOption(new Option('--rf, --any-flags <flags>', "only records with at least one of these FLAG bits set (samtools' --incl-flags)").argParser(flagsArg('--rf')))
    .addOption(new Option('--incl-flags <flags>').hideHelp().argParser(flagsArg('--incl-flags')))
    .addOption(new Option('-q, --min-mapq <int>', 'only records with MAPQ at least this (any integer: -q -1 keeps all)').argParser(signedInteger('-q')))
    .addOption(new Option('-e, --expression <expression>', 'only records for which this samtools filter expression is true (e.g. "mapq >= 30 && [NM] < 3")').argParser(checkExpression))
    .addOption(new Option('-s, --sample <SEED.FRACTION>', 'keep this fraction of templates, chosen by read name as samtools -s does (e.g. 42.1: seed 42, 10%)').argParser(parseSampleArgument))
    .addOption(new Option('--subsample <fraction>', 'keep this fraction of templates (as samtools --subsample)').argParser(fraction))
    .addOption(new Option('--subsample-seed <int>', 'seed for --subsample (default 0)').argParser(signedInteger('--subsample-seed')))
}

function checkExpression(text: string): string {
  compileExpr(text)
  return text
}

function fraction(text: string): number {
  const f = Number(text)
  if (text.trim() === '' || !(f >= 0 && f <= 1)) throw new BamError('ERR_OPTION', `--subsample: "${text}" is not a fraction in [0, 1]`)
  return f
}

/**
 * The parsed options as the library's filter options.
 *
 * @example
 * ```ts
 * samtoolsFilters({ excludedFlags: 4, sample: { fraction: 0.1, seed: 42 } }) // { excludedFlags: 4, subsample: 0.1, subsampleSeed: 42, … }
 * ```
 */
export function samtoolsFilters(o: FilterFlags & { inclFlags?: number }): SamtoolsFilters {
  const anyFlags = o.anyFlags === undefined && o.inclFlags === undefined ? undefined : (o.anyFlags ?? 0) | (o.inclFlags ?? 0)
  return {
    requiredFlags: o.requiredFlags, excludedFlags: o.excludedFlags, excludedAllFlags: o.excludedAllFlags, anyFlags,
    minMapq: o.minMapq, expression: o.expression,
    subsample: o.sample?.fraction ?? o.subsample, subsampleSeed: o.sample?.seed ?? o.subsampleSeed,
  }
}
