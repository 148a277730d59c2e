import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { hashToken, newToken } from '../../api/auth.js';
import { RunStore } from '../../api/runs.js';
import { startApiServer } from '../../api/server.js';
import { coordinatorConfigSchema, loadNodeConfig } from '../../nodes/config.js';
import { freePort, killProcess } from '../transport/net-helpers.js';
import { call, startApiNetwork, until, type ApiNetwork } from './api-helpers.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** Opens a stream client and collects its messages. */
async function streamClient(url: string, token?: string): Promise<{ socket: WebSocket; messages: Record<string, unknown>[] }> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/api/stream${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  const messages: Record<string, unknown>[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`stream refused: HTTP ${res.statusCode}`));
    });
    socket.once('error', reject);
  });
  return { socket, messages };
}

/** A fastify route URL with each `:param` filled in. */
function fill(url: string, value: string): string {
  return url.replace(/:[A-Za-z]+/g, encodeURIComponent(value));
}

describe('operator API on a running coordinator and peer', () => {
  let net: ApiNetwork;
  let c: string;
  let p: string;

  before(async () => {
    net = await startApiNetwork();
    c = net.coordinator.url;
    p = net.peer.url;
    await until('three blocks and some certificates on the coordinator chain', async () => {
      const head = (await call(`${c}/api/chain`, { token: net.readToken })).body;
      return head.height >= 3 && head.totals.certificatesIssued > 0 ? true : undefined;
    }, 40_000);
  });
  after(async () => {
    await net?.stop();
  });

  it('reads status, fleet, offers, plans, consensus, blocks, balances and certificates, all consistent', async () => {
    const read = async (url: string) => {
      const res = await call(url, { token: net.readToken });
      assert.equal(res.status, 200, `${url}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const status = await read(`${c}/api/status`);
    assert.equal(status.role, 'coordinator');
    assert.equal(status.ders, 15);
    const consensus = await read(`${c}/api/consensus`);
    assert.ok(consensus.commits >= 3 && consensus.quorum === 1);
    const current = await read(`${c}/api/plans/current`);
    assert.deepEqual(await read(`${c}/api/plans/${current.height}`), current);
    assert.equal(Object.keys(current.setpointsKW).length, 15);
    const sumKW = Object.values(current.setpointsKW as Record<string, number>).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sumKW - current.fleetPowerKW[0]) < 1e-6, 'first-period setpoints add up to the fleet power');
    const fleet = await read(`${c}/api/fleet`);
    assert.equal(fleet.length, 15);
    assert.ok(fleet.every((d: { state: string }) => d.state === 'offered'));
    const offers = await read(`${c}/api/offers`);
    assert.equal(offers.length, 15);
    assert.ok(offers.every((o: { minPowerKW: number; maxPowerKW: number }) => o.minPowerKW <= o.maxPowerKW));
    const head = await read(`${c}/api/chain`);
    const blocks = await read(`${c}/api/chain/blocks?limit=2`);
    assert.ok(blocks[0].height >= head.height && blocks.length === 2 && blocks[1].height === blocks[0].height - 1);
    const block = await read(`${c}/api/chain/blocks/1`);
    assert.equal(block.block.kind, 'interval');
    assert.match(block.block.prevHash, /^[0-9a-f]{64}$/);
    const sheet = await read(`${c}/api/balances`);
    assert.equal(sheet.balances.reduce((s: number, b: { minor: number }) => s + b.minor, 0), 0, 'balances sum to zero');
    const certificates = await read(`${c}/api/certificates?limit=3`);
    assert.ok(certificates.total > 0 && certificates.certificates.length === 3, 'sunny PV earned certificates');
    assert.equal((await read(`${c}/api/certificates/${encodeURIComponent(certificates.certificates[0].id)}`)).id, certificates.certificates[0].id);
    assert.equal((await call(`${c}/api/chain/blocks/999999`, { token: net.readToken })).status, 404);
    for (const [path, field] of [['/api/plans/abc', 'params.height'], ['/api/chain/blocks?limit=0', 'querystring.limit'], ['/api/certificates?colour=red', 'querystring.colour']]) {
      const bad = await call(`${c}${path}`, { token: net.readToken });
      assert.equal(bad.status, 400, path);
      assert.equal(bad.body.field, field, path);
    }
    assert.equal((await call(`${p}/api/chain`, { token: net.readToken })).body.error, 'VPP_ERR_API_NO_CHAIN');
  });

  it("peer: its DERs' actor states and state of charge, and the same certified plans as the coordinator", async () => {
    const fleet = (await call(`${p}/api/fleet`, { token: net.readToken })).body as { kind: string; state: string; socFrac?: number; online?: boolean }[];
    assert.equal(fleet.length, 15);
    const batteries = fleet.filter((d) => d.kind === 'battery');
    assert.ok(batteries.length === 10 && batteries.every((d) => typeof d.socFrac === 'number' && d.socFrac >= 0 && d.socFrac <= 1));
    assert.ok(fleet.some((d) => d.state === 'dispatching' || d.state === 'committed'), JSON.stringify(fleet.map((d) => d.state)));
    const peerPlans = (await call(`${p}/api/plans`, { token: net.readToken })).body as { height: number; planHash: string }[];
    assert.ok(peerPlans.length >= 2);
    for (const plan of peerPlans.slice(1)) {
      const theirs = await call(`${c}/api/plans/${plan.height}`, { token: net.readToken });
      assert.equal(theirs.body.planHash, plan.planHash, `height ${plan.height}`);
    }
  });

  it('streams plans, commits and blocks (coordinator) and DER telemetry (peer) over WebSocket; refuses clients without a token', async () => {
    const coordinator = await streamClient(c, net.readToken);
    const peer = await streamClient(p, net.readToken);
    try {
      await until('a plan, a commit and a block on the coordinator stream', () => (['plan', 'commit', 'block'].every((k) => coordinator.messages.some((m) => m.event === k)) ? true : undefined));
      await until('telemetry on the peer stream', () => peer.messages.find((m) => m.event === 'telemetry'));
      assert.equal(coordinator.messages[0].event, 'hello');
      assert.equal((coordinator.messages[0].status as { role: string }).role, 'coordinator');
      const telemetry = peer.messages.find((m) => m.event === 'telemetry') as { ders: { powerKW: number }[]; fleetPowerKW: number; pricePerMWh: number };
      assert.equal(telemetry.ders.length, 15);
      assert.ok(Math.abs(telemetry.ders.reduce((s, d) => s + d.powerKW, 0) - telemetry.fleetPowerKW) < 1e-9);
      assert.equal(typeof telemetry.pricePerMWh, 'number');
      const metrics = (await call(`${c}/metrics`, { token: net.readToken })).body as string;
      assert.match(metrics, /vpp_api_stream_clients 1\b/);
    } finally {
      coordinator.socket.close();
      peer.socket.close();
    }
    await assert.rejects(streamClient(c), /HTTP 401/);
    await assert.rejects(streamClient(c, 'not-a-token'), /HTTP 401/);
  });

  it('exports Prometheus metrics: round latency, commits, offers, solve time, clamps, adapter errors', async () => {
    assert.equal((await call(`${c}/metrics`)).status, 401);
    const coordinator = (await call(`${c}/metrics`, { token: net.readToken })).body as string;
    const value = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    assert.ok(value(coordinator, 'vpp_commits_total') >= 3);
    assert.ok(value(coordinator, 'vpp_round_latency_seconds_count') >= 3);
    assert.ok(value(coordinator, 'vpp_solve_seconds_count') >= 1);
    assert.ok(value(coordinator, 'vpp_offers_total{result="accepted"}') >= 3);
    assert.ok(value(coordinator, 'vpp_chain_blocks_total') >= 3);
    const peer = (await call(`${p}/metrics`, { token: net.readToken })).body as string;
    assert.ok(value(peer, 'vpp_commits_total') >= 3, 'certified plans count as commits on a peer');
    assert.equal(value(peer, 'vpp_adapter_errors_total'), 0);
    assert.match(peer, /^# TYPE vpp_clamps_total counter$/m);
    // Counters only go up between scrapes.
    const again = (await call(`${c}/metrics`, { token: net.readToken })).body as string;
    assert.ok(value(again, 'vpp_offers_total{result="accepted"}') >= value(coordinator, 'vpp_offers_total{result="accepted"}'));
  });

  it('refuses every mutating route to unauthenticated and read-only clients, and changes nothing', async () => {
    const mutating = net.coordinator.node.api.routes.filter((r) => !['GET', 'HEAD'].includes(r.method));
    assert.ok(mutating.length >= 3, JSON.stringify(mutating));
    const certificate = (await call(`${c}/api/certificates?limit=1`, { token: net.readToken })).body.certificates[0] as { id: string; holder: string };
    const runsBefore = (await call(`${c}/api/runs`, { token: net.readToken })).body.length;
    const bodies: Record<string, unknown> = { '/api/runs': { scenario: net.smallScenario }, '/api/certificates/:id/transfer': { from: certificate.holder, to: 'mallory' }, '/api/certificates/:id/retire': { holder: certificate.holder } };
    for (const route of mutating) {
      const url = `${c}${fill(route.url, certificate.id)}`;
      const body = bodies[route.url] ?? {};
      for (const [token, status] of [[undefined, 401], ['vpp_unknown', 401], [net.readToken, 403]] as const) {
        const res = await call(url, { method: route.method, token, body });
        assert.equal(res.status, status, `${route.method} ${route.url} with ${token ?? 'no token'}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.error, /^VPP_ERR_API_(UNAUTHENTICATED|FORBIDDEN)$/);
      }
    }
    assert.equal((await call(`${c}/api/certificates/${encodeURIComponent(certificate.id)}`, { token: net.readToken })).body.holder, certificate.holder);
    assert.equal((await call(`${c}/api/runs`, { token: net.readToken })).body.length, runsBefore);
    // An operator may: move the certificate, retire it; a second retire is a 409 naming why.
    const op = { token: net.operatorToken };
    const moved = await call(`${c}/api/certificates/${encodeURIComponent(certificate.id)}/transfer`, { ...op, body: { from: certificate.holder, to: 'buyer-1' } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal((await call(`${c}/api/certificates/${encodeURIComponent(certificate.id)}`, { token: net.readToken })).body.holder, 'buyer-1');
    assert.equal((await call(`${c}/api/certificates/${encodeURIComponent(certificate.id)}/retire`, { ...op, body: { holder: 'buyer-1' } })).status, 200);
    const again = await call(`${c}/api/certificates/${encodeURIComponent(certificate.id)}/retire`, { ...op, body: { holder: 'buyer-1' } });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /retired/);
    const missing = await call(`${c}/api/certificates/${encodeURIComponent(certificate.id)}/transfer`, { ...op, body: { from: 'buyer-1' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.field, 'body.to');
  });

  it('answers hundreds of malformed or oversized requests with 4xx only, and keeps running', async () => {
    const routes = net.coordinator.node.api.routes.filter((r) => !r.hidden && r.method !== 'HEAD' && r.url !== '/api/stream');
    const posts = routes.filter((r) => r.method === 'POST');
    const withParams = routes.filter((r) => r.url.includes(':'));
    const tokens = fc.constantFrom(net.operatorToken, net.readToken);
    const notJson = fc.string({ maxLength: 200 }).filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    });
    // Each case is malformed by construction: what makes it wrong is named in its kind.
    const request = fc.oneof(
      fc.record({ kind: fc.constant('invalid JSON body'), route: fc.constantFrom(...posts), token: tokens, raw: notJson }),
      fc.record({ kind: fc.constant('extra body field'), route: fc.constantFrom(...posts), token: tokens, body: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })), extra: fc.string({ minLength: 1, maxLength: 10 }) }),
      fc.record({ kind: fc.constant('not an object'), route: fc.constantFrom(...posts), token: tokens, body: fc.oneof(fc.array(fc.jsonValue({ maxDepth: 1 })), fc.string(), fc.double(), fc.boolean(), fc.constant(null)) }),
      fc.record({ kind: fc.constant('oversized body'), route: fc.constantFrom(...posts), token: tokens, size: fc.integer({ min: 70_000, max: 300_000 }) }),
      fc.record({ kind: fc.constant('wrong content type'), route: fc.constantFrom(...posts), token: tokens, type: fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded') }),
      fc.record({ kind: fc.constant('bad path parameter'), route: fc.constantFrom(...withParams), token: tokens, value: fc.oneof(fc.constantFrom('-1', '1.5', '1e99', 'abc', '%zz', '..%2F..%2Fetc', ' ', '9'.repeat(300)), fc.string({ minLength: 257, maxLength: 400 })) }),
      fc.record({ kind: fc.constant('bad query'), route: fc.constantFrom(...routes.filter((r) => ['/api/chain/blocks', '/api/certificates'].includes(r.url))), token: tokens, key: fc.constantFrom('limit', 'offset', 'before', 'zz'), value: fc.constantFrom('-5', 'abc', '1e99', '0.5', '', '100000') }),
      fc.record({ kind: fc.constant('garbage credentials'), route: fc.constantFrom(...routes.filter((r) => r.url !== '/' && !r.url.startsWith('/docs'))), header: fc.string({ maxLength: 300 }) }),
      fc.record({ kind: fc.constant('unknown path'), path: fc.webPath().map((path) => `/api/nope${path}`) }),
    );
    const statuses = new Map<string, number>();
    let count = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r: any) => {
        let url = `${c}${r.route ? r.route.url : r.path}`;
        const init: RequestInit & { headers: Record<string, string> } = { method: r.route?.method ?? 'GET', headers: r.token ? { authorization: `Bearer ${r.token}` } : {} };
        if (r.kind === 'invalid JSON body') Object.assign(init, { body: r.raw }), (init.headers['content-type'] = 'application/json');
        if (r.kind === 'extra body field') Object.assign(init, { body: JSON.stringify({ ...r.body, [`__${r.extra}`]: 1 }) }), (init.headers['content-type'] = 'application/json');
        if (r.kind === 'not an object') Object.assign(init, { body: JSON.stringify(r.body) }), (init.headers['content-type'] = 'application/json');
        if (r.kind === 'oversized body') Object.assign(init, { body: JSON.stringify({ scenario: 'x'.repeat(r.size) }) }), (init.headers['content-type'] = 'application/json');
        if (r.kind === 'wrong content type') Object.assign(init, { body: 'scenario=small.json' }), (init.headers['content-type'] = r.type);
        if (r.kind === 'garbage credentials') init.headers.authorization = `Bearer x${r.header.replace(/[^\x21-\x7e]/g, '')}`;
        url = url.replace(/:[A-Za-z]+/g, r.kind === 'bad path parameter' ? r.value : 'pv-1%230');
        if (r.kind === 'bad query') url += `?${r.key}=${r.value}`;
        const res = await fetch(url, init);
        await res.arrayBuffer();
        count++;
        statuses.set(`${res.status}`, (statuses.get(`${res.status}`) ?? 0) + 1);
        assert.ok(res.status >= 400 && res.status < 500, `${r.kind}: ${init.method} ${url.slice(0, 200)} gave ${res.status}`);
      }),
      { numRuns: 400, seed: 20261203 },
    );
    assert.equal(count, 400);
    for (const code of ['400', '401', '404', '413', '415']) assert.ok((statuses.get(code) ?? 0) > 0, `some requests got ${code}: ${JSON.stringify([...statuses])}`);
    const head = (await call(`${c}/api/chain`, { token: net.readToken })).body.height;
    await until('the chain still grows after the fuzzing', async () => ((await call(`${c}/api/chain`, { token: net.readToken })).body.height > head ? true : undefined));
  });

  it('serves an OpenAPI document at /docs that lists every route fastify registered', async () => {
    const doc = await call(`${c}/docs/json`);
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi.slice(0, 2), '3.');
    const routes = net.coordinator.node.api.routes.filter((r) => r.method !== 'HEAD');
    const listed = new Set(Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const documented = routes.filter((r) => !r.hidden);
    assert.ok(documented.length >= 25, `${documented.length} routes`);
    for (const r of documented) assert.ok(listed.has(`${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`), `${r.method} ${r.url} is not in the OpenAPI document`);
    assert.equal(listed.size, documented.length, 'nothing in the document that is not a route');
    // Only the UI's own assets stay out of it.
    for (const r of routes.filter((x) => x.hidden)) assert.match(r.url, /^\/docs/);
    const ui = await call(`${c}/docs`);
    assert.equal(ui.status, 200);
    const fetched = await fetch(`${c}/docs/`);
    assert.match(await fetched.text(), /swagger/i);
  });

  it('starts a simulation run for an operator, reports its status, and serves its results', async () => {
    const op = { token: net.operatorToken };
    const bad = await call(`${c}/api/runs`, { ...op, body: { scenario: '../scenario.json' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'body.scenario');
    const absent = await call(`${c}/api/runs`, { ...op, body: { scenario: 'absent.yaml' } });
    assert.equal(absent.status, 404);
    assert.equal(absent.body.field, 'body.scenario');
    const started = await call(`${c}/api/runs`, { ...op, body: { scenario: net.smallScenario, seed: 7 } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.state, 'running');
    const busy = await call(`${c}/api/runs`, { ...op, body: { scenario: net.smallScenario } });
    assert.equal(busy.status, 409);
    const id = started.body.id as string;
    assert.equal((await call(`${c}/api/runs/${id}/summary`, { token: net.readToken })).status, 409);
    const done = await until('the run to finish', async () => {
      const run = (await call(`${c}/api/runs/${id}`, { token: net.readToken })).body;
      return run.state === 'running' ? undefined : run;
    }, 90_000);
    assert.equal(done.state, 'done', JSON.stringify(done));
    const summary = await call(`${c}/api/runs/${id}/summary`, { token: net.readToken });
    assert.equal(summary.body.scenario, 'api test run');
    assert.equal(typeof summary.body.valueVpp, 'number');
    const csv = await call(`${c}/api/runs/${id}/timeseries`, { token: net.readToken });
    assert.match(csv.body, /^time,/);
    assert.equal(csv.body.trim().split('\n').length, 1 + 72);
    assert.match((await call(`${c}/api/runs/${id}/report`, { token: net.readToken })).body, /<html/);
  });
});

describe('API limits and tools without a node', () => {
  it('limits requests per client: one token past its budget gets 429, another token is still served', async () => {
    const a = newToken();
    const b = newToken();
    const server = await startApiServer({
      config: { port: 0, tokens: [{ name: 'a', role: 'read', sha256: a.sha256 }, { name: 'b', role: 'read', sha256: b.sha256 }], rateLimit: { max: 5, windowMs: 60_000 } },
      runs: new RunStore(),
    });
    try {
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await call(`${server.url}/api/runs`, { token: a.token })).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const limited = await call(`${server.url}/api/runs`, { token: a.token });
      assert.equal(limited.body.error, 'VPP_ERR_API_RATE_LIMITED');
      assert.equal((await call(`${server.url}/api/runs`, { token: b.token })).status, 200);
      // Without a node there are no node routes.
      assert.equal((await call(`${server.url}/api/status`, { token: b.token })).status, 404);
    } finally {
      await server.close();
    }
  });

  it('api-token prints a token whose SHA-256 is the hash for the config; dashboard --results serves a results folder read-only', async () => {
    const printed = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'api-token', '--name', 'ops', '--role', 'operator'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
    });
    const token = /^token: (\S+)$/m.exec(printed)?.[1];
    const sha256 = /sha256: ([0-9a-f]{64})/.exec(printed)?.[1];
    assert.ok(token && sha256, printed);
    assert.equal(hashToken(token), sha256);
    assert.match(printed, /role: operator/);

    const { tempDir } = await import('../sim/helpers.js');
    const dir = tempDir('api-results');
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ scenario: 'from disk', valueVpp: 12.5 }));
    writeFileSync(join(dir, 'timeseries.csv'), 'time,price\n2022-09-05T00:00:00.000Z,100\n');
    writeFileSync(join(dir, 'report.html'), '<!doctype html><html><body>report</body></html>');
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'dashboard', '--results', dir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
      assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?run=`));
      const base = url.slice(0, url.indexOf('/?'));
      const id = decodeURIComponent(url.slice(url.indexOf('=') + 1));
      assert.equal((await call(`${base}/api/runs/${id}/summary`)).body.valueVpp, 12.5);
      assert.match((await call(`${base}/`)).body, /VPP dashboard/);
      assert.equal((await call(`${base}/api/runs`, { body: { scenario: 'x.yaml' } })).status, 401);
    } finally {
      await killProcess(child);
    }
  });

  it('checks the api block of a node config, names the field, and resolves its folders against the config', async () => {
    const { tempDir } = await import('../sim/helpers.js');
    const dir = tempDir('api-config');
    const base = { networkId: 'n', key: 'k.json', validators: ['ab'.repeat(32)], transports: [{ kind: 'nats', servers: 'nats://127.0.0.1:4222' }], scenario: 's.yaml' };
    const write = (name: string, api: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify({ ...base, api }));
      return path;
    };
    const ok = loadNodeConfig(write('ok.json', { port: 0, runs: { dir: 'runs', scenarios: '../scenarios' } }), coordinatorConfigSchema);
    assert.equal(ok.api?.runs?.dir, join(dir, 'runs'));
    assert.equal(ok.api?.host, '127.0.0.1');
    assert.deepEqual(ok.api?.tokens, []);
    assert.throws(() => loadNodeConfig(write('hash.json', { port: 1, tokens: [{ name: 'x', role: 'read', sha256: 'secret' }] }), coordinatorConfigSchema), /hash\.json[\s\S]*api\.tokens\.0\.sha256: expected the 64 lowercase hex/);
    assert.throws(() => loadNodeConfig(write('role.json', { port: 1, tokens: [{ name: 'x', role: 'admin', sha256: 'a'.repeat(64) }] }), coordinatorConfigSchema), /api\.tokens\.0\.role/);
    assert.throws(() => loadNodeConfig(write('port.json', { port: 70_000 }), coordinatorConfigSchema), /api\.port/);
  });
});
