// Light modules only: this file loads with every `vpp` command; the server is imported when `dashboard` runs.
import { newToken } from '../api/auth.js';
import type { ApiRole } from '../api/config.js';

/** `vpp api-token --name N --role R`: a new token (shown once) and the line its node config keeps. */
export function apiTokenCommand(options: { name: string; role: ApiRole }): void {
  const { token, sha256 } = newToken();
  process.stdout.write(`token: ${token}\n# add under api.tokens in the node config (the node keeps only this hash):\n- { name: ${options.name}, role: ${options.role}, sha256: ${sha256} }\n`);
}

/** `vpp dashboard --results DIR`: the dashboard on finished results folders only, read-only, until SIGINT/SIGTERM. */
export async function dashboardCommand(options: { results: string[]; port: number; host: string }): Promise<void> {
  const { startApiServer, RunStore } = await import('../api/index.js');
  const runs = new RunStore();
  const ids = options.results.map((dir) => runs.openResults(dir));
  // Nothing here can change: results are read-only and no node runs behind the page.
  const server = await startApiServer({ config: { port: options.port, host: options.host, anonymousRead: true }, runs });
  for (const id of ids) process.stdout.write(`${server.url}/?run=${encodeURIComponent(id)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
