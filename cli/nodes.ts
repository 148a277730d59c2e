import type { RunningNode } from '../nodes/runtime.js';

// Node modules are imported when a node command runs: they load the device-protocol packages,
// which `vpp sim` and the other commands do not need.

/** Writes one JSON object per line on stdout. */
function logLine(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ t: new Date().toISOString(), ...event })}\n`);
}

/** Runs a node until its scenario window ends, or until SIGINT/SIGTERM stops it cleanly. */
async function runUntilDone(node: RunningNode): Promise<void> {
  const stop = () => void node.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await node.done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
}

/** `vpp coordinator --config FILE`. */
export async function coordinatorCommand(options: { config: string }): Promise<void> {
  const [{ coordinatorConfigSchema, loadNodeConfig }, { startCoordinator }] = await Promise.all([import('../nodes/config.js'), import('../nodes/runtime.js')]);
  await runUntilDone(await startCoordinator(loadNodeConfig(options.config, coordinatorConfigSchema), logLine));
}

/** `vpp peer --config FILE`. */
export async function peerCommand(options: { config: string }): Promise<void> {
  const [{ peerConfigSchema, loadNodeConfig }, { startPeer }] = await Promise.all([import('../nodes/config.js'), import('../nodes/runtime.js')]);
  await runUntilDone(await startPeer(loadNodeConfig(options.config, peerConfigSchema), logLine));
}
