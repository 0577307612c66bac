/**
 * The daemon's commands as the top-level help lists them: name, `[options]`
 * and one line each. `bamstream --help` adds these stand-ins instead of the
 * commands themselves, whose modules (the sensor, SQLite) take longer to load
 * than the rest of the help; src/cli/daemon.ts describes its commands with the
 * same lines.
 */
import type { Command } from 'commander'

/** Each daemon command's description. */
export const DAEMON_DESCRIPTIONS = {
  daemon: 'watch directories and URLs for new BAM files and run an op on each, exactly once',
  status: 'is the daemon alive, who holds the state folder, each sensor\'s last tick, the backlog by status, the queue lag',
  runs: 'list the runs the daemon stored, newest first (subcommands: show, cancel, retry, reexecute, delete)',
  sensor: 'inspect and control sensors (subcommands: list, start, stop, ticks, preview)',
} as const

/** Names of the daemon's commands (src/cli/daemon.ts registers them). */
export const DAEMON_COMMANDS: readonly string[] = Object.keys(DAEMON_DESCRIPTIONS)

/** Which stand-ins have options of their own (the help shows `[options]` after their names). */
const WITH_OPTIONS: ReadonlySet<string> = new Set(['daemon', 'status', 'runs'])

/**
 * Adds stand-ins for the daemon's commands: listed by the help as the real
 * ones are, for when the command line runs none of them.
 *
 * @example
 * ```ts
 * addDaemonSummaries(program) // before program.parseAsync(['node', 'bamstream', '--help'])
 * ```
 */
export function addDaemonSummaries(program: Command): void {
  for (const [name, description] of Object.entries(DAEMON_DESCRIPTIONS)) {
    const cmd = program.command(name).description(description)
    if (WITH_OPTIONS.has(name)) cmd.option('--state <dir>') // commander lists a command with options as "name [options]"
  }
}
