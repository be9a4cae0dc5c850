// Where a listener listens: the data plane's `server.listen` entries and the admin plane's `server.admin` alike.

export interface ListenConfig {
  readonly host: string;
  readonly port: number;
}

/** A certificate with its key, as read and checked at load (tls/certificate-files.ts). */
export interface CertificateFiles {
  /** Absolute paths, so a reload or a file-change watch reads the same files. */
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ListenerTlsConfig {
  /** Several: the one whose names match the client's SNI is served; the first when none does. */
  readonly certs: readonly CertificateFiles[];
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's own). */
  readonly ciphers: string;
  /** mTLS: client certificates must chain to these CAs (absolute path); absent: no client certificate asked for. */
  readonly clientCaFile: string | undefined;
  /** A verified client certificate's subject CN is the identity of a caller without a token. */
  readonly clientSubject: boolean;
}

export interface Http2Limits {
  readonly maxConcurrentStreams: number;
  /** Streams a client may cancel per second on one connection before it is closed (rapid reset). */
  readonly resetsPerSecond: number;
}

/** One data-plane listener: plain HTTP/1.1, a redirect to HTTPS, or TLS with HTTP/1.1 and optionally HTTP/2. */
export interface DataListenerConfig extends ListenConfig {
  readonly tls: ListenerTlsConfig | undefined;
  /** ALPN h2 beside http/1.1 (only with tls). */
  readonly http2: boolean;
  readonly h2: Http2Limits;
  /** `https`: every request is answered with a redirect to the first TLS listener. */
  readonly redirect: 'https' | undefined;
}
