/** Settlement chain routes: head, blocks, balances, certificates; operators may transfer and retire certificates. */
import { Type } from 'typebox';
import { hexReplacer, readableBlock, balanceSheet } from '../../chain/readable.js';
import {
  AppendedSchema,
  BalanceSheetSchema,
  BlockListQuery,
  BlockSchema,
  BlockSummarySchema,
  CertificateListQuery,
  CertificateParams,
  CertificateSchema,
  ChainHeadSchema,
  errorResponses,
  HeightParams,
  RetireBody,
  TransferBody,
} from '../schemas.js';
import { ApiError, type ApiApp } from '../server.js';
import type { ApiLedger, ApiSource } from '../source.js';
import type { CertificateHolding } from '../../chain/index.js';

function certificateView(h: CertificateHolding) {
  return { ...h.certificate, holder: h.holder, retired: h.retired };
}

/** Registers the chain routes; they answer 404 on a node that keeps no chain. */
export function registerChainRoutes(app: ApiApp, source: ApiSource): void {
  const tags = ['chain'];
  const ledger = (): ApiLedger => {
    if (!source.ledger) throw new ApiError(404, 'VPP_ERR_API_NO_CHAIN', 'this node keeps no settlement chain');
    return source.ledger;
  };
  const blockAt = (height: number) => {
    const l = ledger();
    if (height > l.head.height) throw new ApiError(404, 'VPP_ERR_API_NO_BLOCK', `no block at height ${height} (head is ${l.head.height})`, 'params.height');
    return l.block(height);
  };
  const operator = { access: 'operator' as const };
  app.get('/api/chain', { schema: { tags, summary: "The chain's head and settlement totals", response: { 200: ChainHeadSchema, ...errorResponses } } }, () => {
    const l = ledger();
    const head = l.head;
    return { height: head.height, hash: head.hash, timeMs: head.timeMs, lastIntervalStartMs: head.lastIntervalStartMs ?? null, networkId: l.genesis.networkId, currency: l.genesis.currency, totals: { ...l.totals } };
  });
  app.get('/api/chain/blocks', { schema: { tags, summary: 'Newest blocks, newest first', querystring: BlockListQuery, response: { 200: Type.Array(BlockSummarySchema), ...errorResponses } } }, (request) => {
    const l = ledger();
    const before = Math.min(request.query.before ?? l.head.height + 1, l.head.height + 1);
    const limit = request.query.limit ?? 20;
    const blocks = [];
    for (let h = before - 1; h >= 0 && h >= before - limit; h--) {
      const block = l.block(h);
      blocks.push({
        height: h,
        kind: block.kind,
        timeMs: block.timeMs,
        ...(block.kind === 'interval' ? { intervalStartMs: block.commit.intervalStartMs, settlements: block.settlements.length, certificates: block.certificates.length } : {}),
        ...(block.kind === 'certificate-ops' ? { ops: block.ops.length } : {}),
        ...(block.kind === 'service-settlement' ? { services: block.services.length } : {}),
      });
    }
    return blocks;
  });
  app.get('/api/chain/blocks/:height', { schema: { tags, summary: 'One block in full (byte strings as hex)', params: HeightParams, response: { 200: BlockSchema, ...errorResponses } } }, (request) => ({
    height: request.params.height,
    block: JSON.parse(JSON.stringify(readableBlock(blockAt(request.params.height)), hexReplacer)) as unknown,
  }));
  app.get('/api/balances', { schema: { tags, summary: 'Balance per account (minor units sum to zero) and certificates per holder', response: { 200: BalanceSheetSchema, ...errorResponses } } }, () => {
    const l = ledger();
    return balanceSheet(l.head.height, l);
  });
  app.get(
    '/api/certificates',
    { schema: { tags, summary: 'Energy certificates with their holders', querystring: CertificateListQuery, response: { 200: Type.Object({ total: Type.Integer(), certificates: Type.Array(CertificateSchema) }), ...errorResponses } } },
    (request) => {
      const { holder, offset = 0, limit = 100 } = request.query;
      const all = ledger()
        .certificates()
        .filter((h) => holder === undefined || h.holder === holder);
      return { total: all.length, certificates: all.slice(offset, offset + limit).map(certificateView) };
    },
  );
  app.get('/api/certificates/:id', { schema: { tags, summary: 'One certificate', params: CertificateParams, response: { 200: CertificateSchema, ...errorResponses } } }, (request) => {
    const holding = ledger().certificate(request.params.id);
    if (!holding) throw new ApiError(404, 'VPP_ERR_API_NO_CERTIFICATE', `no certificate '${request.params.id}'`, 'params.id');
    return certificateView(holding);
  });
  app.post(
    '/api/certificates/:id/transfer',
    { config: operator, schema: { tags, summary: 'Move a certificate to another holder (operator)', params: CertificateParams, body: TransferBody, response: { 200: AppendedSchema, 409: errorResponses[400], ...errorResponses } } },
    (request) => ledger().transferCertificate(request.params.id, request.body.from, request.body.to),
  );
  app.post(
    '/api/certificates/:id/retire',
    { config: operator, schema: { tags, summary: 'Retire (claim) a certificate (operator)', params: CertificateParams, body: RetireBody, response: { 200: AppendedSchema, 409: errorResponses[400], ...errorResponses } } },
    (request) => ledger().retireCertificate(request.params.id, request.body.holder),
  );
}
