// The verified caller: who authentication found, what authorization decides about and the upstream is told of.

/** The verified caller (found by the authenticator, from the token's claims). */
export interface Identity {
  readonly subject: string;
  readonly roles: readonly string[];
  readonly tenant: string | undefined;
  /** Permission codes the token itself grants (its scope claim). */
  readonly scopes: readonly string[];
}
