import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { tempDir } from '../sim/helpers.js';
import { freePort, killProcess } from '../transport/net-helpers.js';

/** The influxd binary: `$VPP_INFLUXD`, else Debian's (package `influxdb`). */
export const INFLUXD_BINARY = process.env.VPP_INFLUXD ?? '/usr/bin/influxd';

/**
 * An influxd of this test's own: its config, meta, data and WAL folders under a temp folder, HTTP
 * and RPC (backup/restore, default 8088) on free loopback ports. `kill` and `start` again keep the
 * folders and ports, like a database server that crashed and came back.
 */
export class TestInfluxd {
  readonly url: string;
  private child: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly httpPort: number,
    private readonly configPath: string,
  ) {
    this.url = `http://127.0.0.1:${httpPort}`;
  }

  /** Writes the config and starts influxd; fails (never skips) when the binary is missing. */
  static async start(): Promise<TestInfluxd> {
    if (!existsSync(INFLUXD_BINARY)) {
      throw new Error(`${INFLUXD_BINARY} not found: install Debian's influxdb package (apt-get install influxdb; .ci/run does) or set VPP_INFLUXD`);
    }
    const dir = tempDir('influxd');
    const [httpPort, rpcPort] = [await freePort(), await freePort()];
    const configPath = join(dir, 'influxd.conf');
    for (const sub of ['meta', 'data', 'wal']) mkdirSync(join(dir, sub));
    writeFileSync(
      configPath,
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        '[meta]',
        `  dir = "${join(dir, 'meta')}"`,
        '[data]',
        `  dir = "${join(dir, 'data')}"`,
        `  wal-dir = "${join(dir, 'wal')}"`,
        '  query-log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
        '[http]',
        `  bind-address = "127.0.0.1:${httpPort}"`,
        '  log-enabled = false',
        '[logging]',
        '  level = "warn"',
        '',
      ].join('\n'),
    );
    const server = new TestInfluxd(dir, httpPort, configPath);
    await server.launch();
    return server;
  }

  /** Starts influxd again on the same ports and folders (after `kill`). */
  async launch(): Promise<void> {
    const child = spawn(INFLUXD_BINARY, ['-config', this.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot start ${INFLUXD_BINARY}: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`${INFLUXD_BINARY} exited with code ${code} before answering /ping on ${this.httpPort}: ${stderr}`)));
    });
    exited.catch(() => {});
    this.child = child;
    await Promise.race([this.waitForPing(10_000), exited]);
  }

  /** Kills influxd (SIGKILL: no shutdown, only what its WAL holds survives) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child) await killProcess(this.child, signal);
    this.child = undefined;
  }

  /** Stops influxd and removes its folders. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A client for queries (InfluxQL) against `database`. */
  client(database: string): InfluxDB {
    return new InfluxDB({ host: '127.0.0.1', port: this.httpPort, database });
  }

  private async waitForPing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = await fetch(`${this.url}/ping`).then((res) => res.status === 204, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`influxd did not answer /ping on ${this.url} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** `SELECT COUNT(field)` per measurement, grouped by `tag` when given: `{ tagValue: count }` (key '' without a tag). */
export async function countBy(client: InfluxDB, measurement: string, field: string, tag?: string): Promise<Record<string, number>> {
  const rows = await client.query<{ count: number } & Record<string, string>>(`SELECT COUNT("${field}") AS "count" FROM "${measurement}"${tag ? ` GROUP BY "${tag}"` : ''}`);
  const counts: Record<string, number> = {};
  for (const group of rows.groups()) {
    const key = tag ? String(group.tags[tag] ?? '') : '';
    counts[key] = (counts[key] ?? 0) + group.rows.reduce((total, row) => total + Number(row.count), 0);
  }
  return counts;
}
