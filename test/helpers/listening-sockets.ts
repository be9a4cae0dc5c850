// Which processes own a TCP port's listening sockets, as Linux says: the LISTEN entries of /proc/net/tcp and tcp6
// for the port, each matched by its inode to the `socket:[inode]` links under /proc/<pid>/fd. With node:cluster's
// shared handle the primary owns the one socket; with reusePort every worker owns one of its own.
import { readdir, readFile, readlink } from 'node:fs/promises';

/** st 0A in /proc/net/tcp: TCP_LISTEN. */
const LISTEN = '0A';

/** The inodes of the sockets listening on `port` (IPv4 and IPv6). */
export async function listeningInodes(port: number): Promise<string[]> {
  const inodes: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = parseInt(fields[1]!.split(':').at(-1)!, 16);
      if (localPort === port && fields[3] === LISTEN) inodes.push(fields[9]!);
    }
  }
  return inodes;
}

/** The socket inodes each of `pids` holds open. A process that is gone holds none. */
async function socketInodes(pid: number): Promise<Set<string>> {
  const dir = `/proc/${pid}/fd`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const links = await Promise.all(names.map((name) => readlink(`${dir}/${name}`).catch(() => '')));
  return new Set(links.flatMap((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1] ?? []));
}

export interface ListeningOwners {
  /** Every LISTEN socket on the port. */
  readonly inodes: readonly string[];
  /** For each pid asked about, the listening sockets on the port it holds. */
  readonly byPid: ReadonlyMap<number, readonly string[]>;
}

/** Who among `pids` holds the listening sockets of `port`. */
export async function listeningOwners(port: number, pids: readonly number[]): Promise<ListeningOwners> {
  const inodes = await listeningInodes(port);
  const byPid = new Map<number, string[]>();
  for (const pid of pids) {
    const held = await socketInodes(pid);
    byPid.set(pid, inodes.filter((inode) => held.has(inode)));
  }
  return { inodes, byPid };
}
