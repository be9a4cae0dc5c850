// How a name (subject, role, tenant, claim) travels in a header the gateway sends upstream: percent-encoded UTF-8
// for whatever a header cannot carry or a list would split on, every other printable ASCII character as it is.
//
// A header value is bytes, and Node refuses characters outside Latin-1 in one (a token for `李雷` used to make the
// forward fail). Percent-encoding was chosen over RFC 8187 (`UTF-8''…`) because every platform decodes it with the
// function it already has (decodeURIComponent, Java's URLDecoder, Go's url.PathUnescape, Python's
// urllib.parse.unquote), and because `alice` and `alice@example.com` arrive unchanged: only names that could not
// travel before look different. `%` is encoded so decoding is exact; `,` so a list can never be split inside a
// name; `+` so form decoders (URLDecoder, unquote_plus) do not read it as a space; space and controls because
// servers trim or refuse them.

const HEX = '0123456789ABCDEF';

/** True for the characters that travel as themselves: printable ASCII except space, `%`, `+` and `,`. */
function plain(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== 0x25 && c !== 0x2b && c !== 0x2c;
}

/**
 * The header form of one name. Lone surrogates (not text) travel as U+FFFD.
 * @example encodeHeaderValue('alice@example.com') → 'alice@example.com'
 * @example encodeHeaderValue('李雷') → '%E6%9D%8E%E9%9B%B7'
 * @example encodeHeaderValue('a,b c%') → 'a%2Cb%20c%25'
 */
export function encodeHeaderValue(value: string): string {
  let i = 0;
  // The common case (an ASCII name) is one scan and no allocation.
  while (i < value.length && plain(value.charCodeAt(i))) i++;
  if (i === value.length) return value;
  let out = value.slice(0, i);
  const rest = value.slice(i).toWellFormed();
  for (let j = 0; j < rest.length; j++) {
    const c = rest.charCodeAt(j);
    if (plain(c)) out += rest[j];
    else if (c < 0x80) out += '%' + HEX[c >> 4] + HEX[c & 15];
    else {
      const end = c >= 0xd800 && c <= 0xdbff ? j + 2 : j + 1;
      for (const byte of Buffer.from(rest.slice(j, end), 'utf8')) out += '%' + HEX[byte >> 4] + HEX[byte & 15];
      j = end - 1;
    }
  }
  return out;
}

/**
 * A list of names: each encoded, joined by `,` (a `,` inside a name is `%2C`, so it can never split one).
 * @example encodeHeaderList(['editor', 'José']) → 'editor,Jos%C3%A9'
 */
export function encodeHeaderList(values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + encodeHeaderValue(values[i]!);
  return out;
}
