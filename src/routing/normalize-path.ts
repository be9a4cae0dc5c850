// Turns a raw request-target into the one canonical path that is matched, authorized, logged and forwarded.
// Rules: docs/security-rules.md rules 1-2; the table of tricky inputs lives in test/journey/path-normalization.test.ts.
import { GatewayError } from '../errors.js';

/** A path in permgate's canonical form. Only `normalizeTarget` makes one, so nothing else can be forwarded. */
export type NormalizedPath = string & { readonly __brand: 'NormalizedPath' };

export interface NormalizedTarget {
  /** Canonical path: starts with `/`, no empty, `.` or `..` segments, unreserved and sub-delim bytes decoded. */
  readonly path: NormalizedPath;
  /** `path` split on `/`, without the leading empty segment and without the trailing one of `trailingSlash`. */
  readonly segments: readonly string[];
  readonly trailingSlash: boolean;
  /** The raw query including its `?`, or ''. Forwarded byte for byte. */
  readonly query: string;
}

export interface NormalizeOptions {
  /** Lower-case letters before matching and forwarding, for case-folding backends (IIS). Default false. */
  readonly caseInsensitive: boolean;
  /**
   * Refuse the segment forms IIS and ASP.NET resolve to another path (see `windowsProblem`). Default: on whenever
   * `caseInsensitive` is, since a case-folding backend is most often a Windows one.
   */
  readonly windows?: boolean;
}

/**
 * Code points a backend could turn into `.`, `/` or `\` (issue 10 §2): every one whose NFKC form holds one of them
 * (fullwidth `．／＼`, `․`, `‥`, `﹒`, `⒈`, …), computed here rather than listed by hand, plus the slashes NFKC keeps
 * but Windows' "best fit" code-page mapping and readers' eyes do not (U+2044 ⁄, U+2215 ∕, U+2216 ∖, U+29F8 ⧸,
 * U+29F9 ⧹). Compatibility decompositions exist only in planes 0–2, so the scan stops there (a test scans them all).
 * No backend needs these in a path; they are refused always.
 */
export const SEPARATOR_LOOKALIKES: ReadonlySet<number> = (() => {
  const found = new Set<number>([0x2044, 0x2215, 0x2216, 0x29f8, 0x29f9]);
  for (let cp = 0x80; cp < 0x30000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const folded = String.fromCodePoint(cp).normalize('NFKC');
    if (folded.includes('.') || folded.includes('/') || folded.includes('\\')) found.add(cp);
  }
  return found;
})();

/**
 * With `windows` on, also refused: Windows code pages map YEN SIGN and WON SIGN to `\` (cp932, cp949 best fit).
 */
const WINDOWS_LOOKALIKES: ReadonlySet<number> = new Set([0xa5, 0x20a9]);

// Character classes for the raw path, indexed by char code (0-127).
const RAW_OK = 1; // pchar that may stand raw (RFC 3986 pchar minus ';')
const DECODE = 2; // a byte that, percent-encoded, is decoded to itself: anything allowed raw
const REJECT_ENCODED = 4; // a byte that must never arrive percent-encoded (separators, controls, ';', '%')
const table = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~!$&'()*+,=:@]/.test(ch)) table[c] = RAW_OK | DECODE;
  if (c < 0x20 || c === 0x7f || ch === '/' || ch === '\\' || ch === ';') table[c] = REJECT_ENCODED;
}
const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

function invalid(detail: string): GatewayError {
  return new GatewayError('PG_PATH_INVALID', { detail });
}

/**
 * Canonicalizes a raw request-target, or throws PG_PATH_INVALID / PG_TARGET_NOT_ORIGIN_FORM.
 * Ambiguity is rejected, never repaired: a form that legacy backends could read as another path is a 400.
 * @example normalizeTarget('/%61pi//orders/?x=%2F').path === '/api/orders/' // query untouched
 */
export function normalizeTarget(raw: string, options: NormalizeOptions): NormalizedTarget {
  if (raw.charCodeAt(0) !== 47 /* / */) {
    throw new GatewayError('PG_TARGET_NOT_ORIGIN_FORM');
  }
  let end = raw.indexOf('?');
  if (end === -1) end = raw.length;
  const query = raw.slice(end);
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 35 /* # */) throw invalid('the query holds a control, non-ASCII or # character');
  }

  let out = '';
  let segmentStart = 0; // index in `out` where the current segment begins
  const segments: string[] = [];
  const lower = options.caseInsensitive;
  const windows = options.windows ?? lower;

  for (let i = 1; i <= end; i++) {
    const c = i < end ? raw.charCodeAt(i) : 47; // a virtual '/' closes the last segment
    if (c === 47) {
      const segment = out.slice(segmentStart);
      // `.`/`..` are dot segments; a segment that starts or ends with `..` is read as traversal by some servers
      // (and refused by the proxy library), so it is refused here, where the decision is made.
      if (segment === '.' || segment.startsWith('..') || segment.endsWith('..')) throw invalid('dot segments are not accepted');
      if (windows && segment.length > 0 && (segment.charCodeAt(segment.length - 1) === 46 /* . */ || segment.endsWith('%20'))) {
        // Windows drops trailing dots and spaces from a name: `admin.` and `admin%20` open `admin`.
        throw invalid('a segment ending in a dot or a space (Windows drops them)');
      }
      if (segment.length > 0) segments.push(segment); // an empty one is a merged `//` or the trailing slash
      segmentStart = out.length;
      continue;
    }
    if (c >= 128) throw invalid('raw non-ASCII bytes must be percent-encoded');
    if (c === 37 /* % */) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (i + 2 >= end || hi < 0 || lo < 0) throw invalid('a malformed percent-encoding');
      const byte = hi * 16 + lo;
      i += 2;
      if (byte < 128) {
        const cls = table[byte] ?? 0;
        if (cls & REJECT_ENCODED) throw invalid('an encoded separator, control character or ;');
        if (byte === 37 && hexValue(raw.charCodeAt(i + 1)) >= 0 && hexValue(raw.charCodeAt(i + 2)) >= 0) {
          throw invalid('double percent-encoding');
        }
        if (cls & DECODE) {
          out += lower && byte >= 65 && byte <= 90 ? String.fromCharCode(byte + 32) : String.fromCharCode(byte);
        } else {
          out += '%' + HEX[hi] + HEX[lo];
        }
        continue;
      }
      const start = i - 2;
      i = checkUtf8Sequence(raw, i, end, byte, windows);
      out += raw.slice(start, i + 1).toUpperCase();
      continue;
    }
    if (!((table[c] ?? 0) & RAW_OK)) throw invalid('a character that must be percent-encoded, or a ; \\ #');
    out += lower && c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : raw[i];
  }

  // The other Windows forms need one of `(`, `:`, `~`: three native scans of the whole path, not work per segment.
  if (windows && (out.includes('(') || out.includes(':$') || out.includes('~'))) {
    for (const segment of segments) {
      const problem = windowsProblem(segment);
      if (problem !== undefined) throw invalid(problem);
    }
  }
  // `out` holds the segments without separators; joining them merges `//` in one place.
  const trailingSlash = end > 1 && raw.charCodeAt(end - 1) === 47 && segments.length > 0;
  const path = ('/' + segments.join('/') + (trailingSlash ? '/' : '')) as NormalizedPath;
  return { path, segments, trailingSlash, query };
}

function utf8Length(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * Why IIS / ASP.NET would read this (decoded, canonical) segment as another path, or undefined; trailing dots and
 * spaces are checked as each segment closes. `:` `$` `(` `)` `~` arrive decoded, so `%3A%3A%24`, `%28S%28` and `%7E1`
 * are caught as well as their raw forms.
 */
function windowsProblem(segment: string): string | undefined {
  // ASP.NET cookieless state: `/(S(x))/admin` is served as `/admin` (also (A(…)) and (F(…))).
  if (segment.charCodeAt(0) === 40 /* ( */ && segment.charCodeAt(2) === 40 && /^\([a-z]\(/i.test(segment)) {
    return 'an ASP.NET cookieless segment such as (S(…))';
  }
  // NTFS streams: `admin::$DATA`, `admin:$i30:$INDEX_ALLOCATION` name the file or directory `admin`.
  if (segment.includes(':$')) return 'an NTFS stream suffix such as ::$DATA';
  // 8.3 short names: `ADMINI~1` may name `administration`.
  const tilde = segment.indexOf('~');
  if (tilde !== -1 && /~\d/.test(segment.slice(tilde))) return 'a Windows 8.3 short name such as ADMINI~1';
  return undefined;
}

/**
 * Checks the UTF-8 sequence that starts with the already-read lead byte (its `%XX` ends at `i`), and returns
 * the index of the last character of the sequence. Overlong forms, surrogates and stray continuation bytes are 400,
 * and so are look-alikes of `.`, `/` and `\` (only non-ASCII paths reach this, so ASCII ones pay nothing for it).
 */
function checkUtf8Sequence(raw: string, i: number, end: number, lead: number, windows: boolean): number {
  const length = utf8Length(lead);
  if (length === 0) throw invalid('invalid UTF-8 in a percent-encoding');
  let codePoint = lead & (length === 2 ? 0x1f : length === 3 ? 0x0f : 0x07);
  for (let k = 1; k < length; k++) {
    if (i + 3 >= end || raw.charCodeAt(i + 1) !== 37) throw invalid('invalid UTF-8 in a percent-encoding');
    const hi = hexValue(raw.charCodeAt(i + 2));
    const lo = hexValue(raw.charCodeAt(i + 3));
    if (hi < 0 || lo < 0) throw invalid('a malformed percent-encoding');
    const byte = hi * 16 + lo;
    if ((byte & 0xc0) !== 0x80) throw invalid('invalid UTF-8 in a percent-encoding');
    codePoint = (codePoint << 6) | (byte & 0x3f);
    i += 3;
  }
  const overlong = (length === 3 && codePoint < 0x800) || (length === 4 && codePoint < 0x10000);
  const surrogate = codePoint >= 0xd800 && codePoint <= 0xdfff;
  if (overlong || surrogate || codePoint > 0x10ffff) throw invalid('invalid UTF-8 in a percent-encoding');
  if (SEPARATOR_LOOKALIKES.has(codePoint) || (windows && WINDOWS_LOOKALIKES.has(codePoint))) {
    throw invalid('a look-alike of a dot, a slash or a backslash');
  }
  return i;
}
