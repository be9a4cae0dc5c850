// Where a listener listens: the data plane's `server` and the admin plane's `server.admin` alike.

export interface ListenConfig {
  readonly host: string;
  readonly port: number;
}
