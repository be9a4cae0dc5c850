// A TCP proxy in front of a real Redis (or any TCP server: a database) that holds its answers back: `late(ms)` delays
// every chunk the server sends by that long (a server that is behind but answering, as under a burst), `silent()` holds
// them all (a server that answers nothing: paused, partitioned), `prompt()` forwards at once again. Requests always go
// through at once. `cut()` drops every connection and refuses new ones (the server is gone) until `mend()`.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface DelayingProxy {
  readonly url: string;
  late(ms: number): void;
  silent(): void;
  prompt(): void;
  /** The address to connect to instead of the target. */
  readonly port: number;
  cut(): void;
  mend(): void;
  close(): Promise<void>;
}

export async function startDelayingProxy(target: { host: string; port: number }): Promise<DelayingProxy> {
  let delayMs = 0;
  let holding = false;
  /** Each connection's pump: sends what is due, in order (a reply stream must never be reordered). */
  const pumps = new Set<() => void>();
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const redis = connect(target.port, target.host);
    // Small replies sent one by one would otherwise wait for the client's delayed ACK (Nagle): ~40 ms more each.
    client.setNoDelay(true);
    redis.setNoDelay(true);
    sockets.add(client).add(redis);
    client.pipe(redis);
    const queue: { readonly chunk: Buffer; readonly due: number }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const pump = (): void => {
      clearTimeout(timer);
      timer = undefined;
      if (holding) return;
      while (queue.length > 0 && queue[0]!.due <= Date.now()) if (client.writable) client.write(queue.shift()!.chunk);
      if (queue.length > 0) timer = setTimeout(pump, queue[0]!.due - Date.now());
    };
    pumps.add(pump);
    redis.on('data', (chunk: Buffer) => {
      queue.push({ chunk, due: Date.now() + delayMs });
      if (timer === undefined) pump();
    });
    const end = (): void => {
      clearTimeout(timer);
      pumps.delete(pump);
      client.destroy();
      redis.destroy();
      sockets.delete(client);
      sockets.delete(redis);
    };
    client.on('close', end).on('error', end);
    redis.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    mend() {
      cut = false;
    },
    late(ms) {
      delayMs = ms;
      holding = false;
      for (const pump of pumps) pump();
    },
    silent() {
      holding = true;
    },
    prompt() {
      delayMs = 0;
      holding = false;
      for (const pump of pumps) pump();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
