// Upstream findings: an https:// upstream whose certificate is not checked (`tls.verify: false`). Allowed, for a
// backend whose certificate cannot be trusted yet, but never quietly: every start, reload and `permgate lint` says so.
import { formatKeyPath } from '../config/config-error.js';
import type { LoadedConfig } from '../config/load.js';
import type { Finding } from './finding.js';
import { configPlace } from './places.js';

export function unverifiedUpstreams(loaded: LoadedConfig): Finding[] {
  const findings: Finding[] = [];
  for (const upstream of loaded.config.upstreams.values()) {
    if (upstream.tls?.verify !== false) continue;
    const path = ['upstreams', upstream.name, 'tls', 'verify'];
    findings.push({
      severity: 'warning',
      rule: 'upstream-tls-unverified',
      message: `upstream ${upstream.name}: its certificate and name are not checked, so anyone on the path to ${upstream.url.host} can pose as it; trust its CA with tls.ca instead`,
      place: configPlace(loaded, path, formatKeyPath(path)),
    });
  }
  return findings;
}
