// `upstreamHeaders`: headers the gateway adds for the upstream from the token's claims and from the decision, in the
// manner of Ory Oathkeeper's header mutator. Each value is encoded as identity headers are (upstream/header-value.ts).

/** Where one header's value comes from. */
export type HeaderSource =
  /** The caller's subject. */
  | { readonly kind: 'subject' }
  /** A claim of the verified token, by dotted path (`email`, `realm_access.roles`). */
  | { readonly kind: 'claim'; readonly path: string }
  /** The tenant the request was authorized in. */
  | { readonly kind: 'decision'; readonly what: 'tenant' }
  /** The roles that held in that tenant (inherited ones included), without duplicates. */
  | { readonly kind: 'decision'; readonly what: 'roles' }
  /** The permission codes this request was authorized for (with `any`, the one that held). */
  | { readonly kind: 'decision'; readonly what: 'codes' };

/** Header name (lower case) → source. */
export type UpstreamHeaders = ReadonlyMap<string, HeaderSource>;
