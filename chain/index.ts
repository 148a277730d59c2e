/**
 * Public API of the settlement chain: the `Ledger` a coordinator appends committed intervals to,
 * the block format, the genesis record, settlement and certificate records, stores and verification.
 */
export { Ledger, type AppendedBlock, type IntervalAppended, type IntervalInput, type LedgerHead, type LedgerOptions } from './ledger.js';
export { BLOCK_VERSION, blockHash, decodeBlock, encodeBlock, type Block, type CertificateOpsBlock, type CommitWithPlan, type GenesisBlock, type IntervalBlock, type ServiceSettlementBlock } from './block.js';
export {
  AGGREGATOR_ACCOUNT,
  MARKET_ACCOUNT,
  carbonIntensityAt,
  carbonIntensityOf,
  loadGenesisFile,
  parseGenesis,
  type ChainGenesis,
  type GenesisInput,
  type RegisteredDer,
} from './genesis.js';
export { settleReading, type PlannedInterval, type SettlementRecord } from './settlement.js';
export { GRID_SERVICES, settleService, type GridService, type ServicePaymentInput, type ServiceSettlementRecord } from './service-settlement.js';
export { certificateId, type CertificateHolding, type CertificateOp, type EnergyCertificate } from './certificates.js';
export type { MeterRejection, SettlementTotals } from './state.js';
export { replayChain, verifyChain, type VerifyReport } from './verify.js';
export type { LedgerStore, StoreDamage } from './store.js';
export { BLOCK_LOG_FILE, FileLedgerStore, type FileStoreMode } from './file-store.js';
export { ChainCorruptError, ChainError, ChainInputError, GenesisError, LedgerStoreError } from './errors.js';
