/** Public API of the actors layer: simulated devices, safety envelope, offers and DER actors. */
export * from './device-adapter.js';
export * from './errors.js';
export * from './devices/simulated-device.js';
export * from './devices/simulated-battery.js';
export * from './devices/simulated-ev-charger.js';
export * from './devices/simulated-pv.js';
export * from './safety-envelope.js';
export * from './offer.js';
export * from './der-actor.js';
export * from './der-agent.js';
