/** Topics of one VPP network, the same on every transport (each transport prefixes its network id). */
export const NETWORK_TOPICS = {
  /** Peers → coordinators: signed `offer` envelopes. */
  offers: 'offers',
  /** Coordinators ↔ coordinators: proposals, votes and catch-up commits. */
  consensus: 'consensus',
  /** Coordinators → peers: `commit` certificates carrying the committed plan. */
  commits: 'commits',
  /** Peers → coordinators: signed meter readings. */
  meter: 'meter',
  /** Everyone: liveness. */
  heartbeats: 'heartbeats',
} as const;
