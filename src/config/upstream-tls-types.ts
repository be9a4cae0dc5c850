// TLS to one upstream (issue 13): whom the gateway trusts, the client certificate it presents, the name it expects.

/** The PEM material of `upstreams.<name>.tls`, read from its files when the config is loaded. */
export interface UpstreamTls {
  /** The CAs trusted for the upstream's certificate (a bundle); undefined: Node's bundled public roots. */
  readonly ca: string | undefined;
  /** The client certificate (chain) and its private key, presented to upstreams that ask for one (mTLS). */
  readonly cert: string | undefined;
  readonly key: string | undefined;
  /** Sent as SNI and checked against the upstream's certificate; undefined for an IP address with no `serverName`. */
  readonly serverName: string | undefined;
  /** False only when written `verify: false` (a warning at every load): the upstream's certificate is not checked. */
  readonly verify: boolean;
  /** A digest of everything above: the pool key changes with it, so a renewed certificate gets fresh connections. */
  readonly digest: string;
}
