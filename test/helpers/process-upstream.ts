// An upstream in its own process, so a test can kill it (SIGKILL, as a crash) and start it again on the same port.
// It answers every request with 200 and a JSON body naming the path; `?delay=ms` makes it wait first.
import { restartableProcess } from './restartable-process.js';
import { freePort } from './private-redis.js';

const SERVER = `
import { createServer } from 'node:http';
const port = Number(process.argv[1]);
createServer((req, res) => {
  const delay = Number(new URL(req.url, 'http://x').searchParams.get('delay') ?? 0);
  req.resume();
  req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, pid: process.pid })), delay));
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

export interface ProcessUpstream {
  readonly port: number;
  readonly url: string;
  /** SIGKILL: connections are cut, the port refuses. */
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startProcessUpstream(): Promise<ProcessUpstream> {
  const port = await freePort();
  const server = restartableProcess('upstream process', process.execPath, ['--input-type=module', '-e', SERVER, String(port)], 'ready');
  await server.start();
  return { port, url: `http://127.0.0.1:${port}`, kill: server.kill, start: server.start, close: server.kill };
}
