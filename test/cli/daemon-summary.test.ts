import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { addDaemonSummaries, DAEMON_COMMANDS } from '../../src/cli/daemon-summary.js'
import { registerDaemonCommands } from '../../src/cli/daemon.js'

const program = (add: (p: Command) => void): Command => {
  const p = new Command('bamstream')
  add(p)
  return p
}

describe('the daemon commands\' stand-ins for the top-level help', () => {
  it('are listed exactly as the commands themselves', () => {
    const real = program(registerDaemonCommands).helpInformation()
    expect(program(addDaemonSummaries).helpInformation()).toBe(real)
    expect(real).toMatch(/daemon \[options\] +watch directories/)
  })

  it('name every command registerDaemonCommands adds', () => {
    expect(program(registerDaemonCommands).commands.map((c) => c.name())).toEqual([...DAEMON_COMMANDS])
  })
})
