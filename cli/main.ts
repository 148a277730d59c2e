#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { simCommand, planCommand, dataCommand, forecastEvalCommand } from './commands.js';
import { forecastNames } from '../sim/forecast.js';
import { keygenCommand } from './keygen.js';
import { coordinatorCommand, peerCommand } from './nodes.js';
import { chainBalancesCommand, chainShowCommand, chainVerifyCommand } from './chain.js';
import { apiTokenCommand, dashboardCommand } from './api.js';

function integer(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new InvalidArgumentError(`expected an integer, got '${text}'`);
  return value;
}

const program = new Command('vpp')
  .description('Virtual power plant coordinator: DER actors, LP dispatch, simulation on recorded grid data')
  .showHelpAfterError();

const dataOption = () => new Option('--data <dir>', 'folder of recorded grid data (default: $VPP_DATA, else ../shared/data)');
const solverOption = () => new Option('--solver <backend>', 'LP backend').choices(['glpk', 'highs']);
const forecastOption = () => new Option('--forecast <name>', 'price/PV forecast the planner sees').choices(forecastNames);

program
  .command('sim')
  .description('run a scenario on a virtual clock and write summary.json, timeseries.csv and report.html')
  .argument('<scenario>', 'scenario file (YAML or JSON)')
  .requiredOption('--out <dir>', 'output folder')
  .option('--seed <n>', 'random seed (default: the scenario seed)', integer)
  .addOption(forecastOption())
  .addOption(solverOption())
  .addOption(dataOption())
  .addOption(new Option('--transport <kind>', "network the VPP pass runs through (default: the scenario's consensus.transport, else memory)").choices(['memory', 'nats', 'libp2p', 'direct']))
  .option('--nats <url>', 'NATS server URL(s) for --transport nats (default: the scenario\'s consensus.natsServers, else nats://127.0.0.1:4222)')
  .option('--influx <url>', "write the VPP pass's telemetry to this InfluxDB 1.x, e.g. http://127.0.0.1:8086/vpp (the path names the database; default: the scenario's telemetry.influx)")
  .option('--no-progress', 'no progress bar')
  .action(simCommand);

program
  .command('plan')
  .description('make one dispatch plan at a given time and write it (and optionally the LP in CPLEX LP format)')
  .argument('<scenario>', 'scenario file (YAML or JSON)')
  .requiredOption('--at <time>', 'planning time, ISO-8601 with zone')
  .requiredOption('--out <file>', 'plan JSON file')
  .option('--export-lp <file>', 'write the LP the plan solved, CPLEX LP format')
  .option('--commitments <file>', 'also co-optimise energy and capacity (the scenario\'s market.capacity) and write the service commitments per period')
  .option('--seed <n>', 'random seed (default: the scenario seed)', integer)
  .addOption(forecastOption())
  .addOption(solverOption())
  .addOption(dataOption())
  .action(planCommand);

program
  .command('data')
  .description('check the recorded data folder: what each loader reads, keeps and drops')
  .addOption(dataOption())
  .action(dataCommand);

program
  .command('forecast-eval')
  .description('score the forecasts (MAE, pinball loss per quantile) against persistence on the recorded prices, household load and PV')
  .addOption(dataOption())
  .option('--only <names>', "comma-separated quantity name prefixes, e.g. 'AEMO,DE,CityLearn'")
  .option('--buildings <list>', 'CityLearn homes to pool, e.g. 1,2,3 (default: all 17)')
  .option('--days <n>', 'score at most the last n days of each recording (default 364)', integer)
  .action(forecastEvalCommand);

program
  .command('keygen')
  .description('write a new ed25519 key file (JSON, mode 0600) and print its public key')
  .requiredOption('--out <file>', 'key file to write')
  .option('--force', 'replace an existing file')
  .action((options: { out: string; force?: boolean }) => {
    keygenCommand(options);
  });

program
  .command('coordinator')
  .description('run a coordinator node (a validator of the BFT round) from its config file; events as JSON lines')
  .requiredOption('--config <file>', 'coordinator config (YAML or JSON)')
  .action(coordinatorCommand);

program
  .command('peer')
  .description("run a peer node (a DER owner's site: its devices' actors) from its config file; events as JSON lines")
  .requiredOption('--config <file>', 'peer config (YAML or JSON)')
  .action(peerCommand);

program
  .command('api-token')
  .description("print a new operator-API token and the hashed entry for a node config's api.tokens")
  .requiredOption('--name <name>', 'client name (metrics, rate limits)')
  .addOption(new Option('--role <role>', 'read: every GET; operator: also start runs, move certificates').choices(['read', 'operator']).default('read'))
  .action(apiTokenCommand);

program
  .command('dashboard')
  .description('serve the dashboard on finished `vpp sim --out` folders, read-only')
  .requiredOption('--results <dir...>', 'results folder(s) with summary.json, timeseries.csv, report.html')
  .option('--port <n>', 'TCP port', integer, 8080)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .action(dashboardCommand);

const chain = program.command('chain').description('inspect and verify a settlement ledger directory');
chain.command('verify').description('re-check every hash, signature, settlement and certificate; name the first bad height').argument('<dir>', 'ledger directory').action(chainVerifyCommand);
chain
  .command('show')
  .description("the chain's head and totals, or one block in full")
  .argument('<dir>', 'ledger directory')
  .option('--height <n>', 'show the block at this height', integer)
  .action(chainShowCommand);
chain.command('balances').description('balance per account and certificates per holder').argument('<dir>', 'ledger directory').action(chainBalancesCommand);

program.parseAsync().catch((error: Error & { code?: string }) => {
  process.stderr.write(`vpp: ${error.message}\n`);
  process.exit(error.code?.startsWith('VPP_ERR') ? 2 : 1);
});
