/** A local misuse of the consensus engine (bad configuration, heights going backwards); never raised by remote input. */
export class ConsensusError extends Error {
  /** Stable machine-readable code: `VPP_ERR_CONSENSUS_CONFIG` or `VPP_ERR_CONSENSUS_HEIGHT`. */
  readonly code: 'VPP_ERR_CONSENSUS_CONFIG' | 'VPP_ERR_CONSENSUS_HEIGHT';

  constructor(code: ConsensusError['code'], message: string) {
    super(message);
    this.name = 'ConsensusError';
    this.code = code;
  }
}
