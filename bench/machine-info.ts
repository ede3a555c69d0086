/**
 * What the benchmark ran on: numbers from different machines are not comparable, only
 * ratios measured in the same run are.
 *
 * @module
 */
import { cpus, totalmem } from 'node:os'

/** The machine, as reported in the table and in `bench/results.json`. */
export interface MachineInfo {
  node: string
  cpu: string
  cores: number
  memoryGiB: number
}

/** Reads the Node version, CPU model, core count and memory of this machine. */
export function machineInfo(): MachineInfo {
  const list = cpus()
  return {
    node: process.version,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  }
}
