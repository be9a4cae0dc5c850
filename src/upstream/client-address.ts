// Who the client is, by address: the socket peer, or the rightmost untrusted hop when the peer is a trusted proxy.
import { BlockList, isIP } from 'node:net';

export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  /** @param cidrs addresses or CIDRs as validated by the config (`10.0.0.0/8`, `::1`, `127.0.0.1`) */
  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address, prefix] = cidr.split('/') as [string, string | undefined];
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.#list.addAddress(address, family);
      else this.#list.addSubnet(address, Number(prefix), family);
    }
    this.#empty = cidrs.length === 0;
  }

  trusts(address: string): boolean {
    if (this.#empty) return false;
    const family = isIP(address);
    if (family === 0) return false;
    return this.#list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** `::ffff:1.2.3.4` (a dual-stack socket's IPv4 peer) is `1.2.3.4`, so one client has one address everywhere. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export interface ClientAddress {
  /** The address the gateway believes is the client's. */
  readonly ip: string;
  /** The socket peer. */
  readonly peer: string;
  readonly peerTrusted: boolean;
  /** The X-Forwarded-For to send upstream: the trusted chain plus the peer, or only the peer. */
  readonly forwardedFor: string;
}

/**
 * X-Forwarded-For is read right to left and only while each hop is a trusted proxy; the first untrusted hop is the
 * client (docs/security-rules.md rules 8 and 10). From an untrusted peer the header is ignored whole.
 */
export function resolveClientAddress(socketAddress: string | undefined, xff: string | string[] | undefined, trusted: TrustedProxies): ClientAddress {
  const peer = plainAddress(socketAddress);
  const peerTrusted = trusted.trusts(peer);
  if (!peerTrusted || xff === undefined) return { ip: peer, peer, peerTrusted, forwardedFor: peer };
  const chain = (Array.isArray(xff) ? xff.join(',') : xff)
    .split(',')
    .map((hop) => plainAddress(hop.trim()))
    .filter((hop) => isIP(hop) !== 0);
  let ip = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    ip = chain[i]!;
    if (!trusted.trusts(ip)) break;
  }
  return { ip, peer, peerTrusted, forwardedFor: [...chain, peer].join(', ') };
}
