// A plain listener with `redirect: https`: every request is answered with 308 to the same host and target on the
// TLS listener, nothing is served in cleartext. 308 (not 301) keeps the method and body, so a POST that reached the
// wrong port is not silently turned into a GET.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { errorBody, GatewayError } from '../errors.js';

const HOST = /^(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}$|^\[[0-9A-Fa-f:.]+\]$/;

/** `httpsPort()`: the TLS listener's port, read per request (a port 0 is known only once it is bound). */
export function httpsRedirect(httpsPort: () => number): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const host = hostName(req.headers.host);
    const target = req.url ?? '';
    if (host === undefined || !target.startsWith('/')) {
      const err = new GatewayError('PG_BAD_REQUEST', { detail: host === undefined ? 'no valid Host to redirect to' : 'the target is not a path' });
      res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      res.end(JSON.stringify(errorBody(err)));
      return;
    }
    const port = httpsPort();
    res.writeHead(308, { location: `https://${host}${port === 443 ? '' : `:${port}`}${target}`, 'content-length': '0', 'cache-control': 'no-store' });
    res.end();
    // The client's body, if any, is not wanted: the connection does not wait for it.
    if (!req.complete) res.once('finish', () => req.socket.destroy());
  };
}

/** The name of a Host header value without its port; undefined for anything that is not a host name or IP literal. */
function hostName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const name = value.startsWith('[') ? value.slice(0, value.indexOf(']') + 1) : value.replace(/:\d{1,5}$/, '');
  return HOST.test(name) ? name : undefined;
}
