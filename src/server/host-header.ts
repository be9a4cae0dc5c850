// RFC 9112 §3.2: a request with more than one Host header is answered 400. Node keeps only the first in
// `req.headers`, so the count is taken from `rawHeaders`, without allocating (the no-body GET path is benchmarked).

/** How many header lines are named `host`, in any case. */
export function hostHeaderCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (
      name.length === 4 &&
      (name.charCodeAt(0) | 0x20) === 0x68 && // h
      (name.charCodeAt(1) | 0x20) === 0x6f && // o
      (name.charCodeAt(2) | 0x20) === 0x73 && // s
      (name.charCodeAt(3) | 0x20) === 0x74 // t
    ) count++;
  }
  return count;
}
