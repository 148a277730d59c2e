import { coordinatorConfigSchema, loadNodeConfig, peerConfigSchema } from '../nodes/config.js';
import { startCoordinator, startPeer, type RunningNode } from '../nodes/runtime.js';

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
  await runUntilDone(await startCoordinator(loadNodeConfig(options.config, coordinatorConfigSchema), logLine));
}

/** `vpp peer --config FILE`. */
export async function peerCommand(options: { config: string }): Promise<void> {
  await runUntilDone(await startPeer(loadNodeConfig(options.config, peerConfigSchema), logLine));
}
