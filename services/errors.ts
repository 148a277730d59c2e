/** A service configuration the fleet, the window or the recorded data cannot serve (exit code 2: bad input). */
export class ServiceConfigError extends Error {
  readonly code = 'VPP_ERR_SERVICE';
}
