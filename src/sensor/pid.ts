/**
 * Whether a process id is alive on this machine (for the daemon's lease and
 * for stale temporary files left by a killed daemon).
 */

/**
 * True when a process with this id exists (also when it belongs to another user).
 *
 * @example
 * ```ts
 * isProcessAlive(process.pid) // true
 * ```
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
