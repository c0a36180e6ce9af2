/**
 * The routing decision every onionmx service uses: where mail for a recipient goes.
 * `none` may send mail in cleartext, so anything uncertain (DNS timeout, SERVFAIL, bogus DNSSEC) is `tempfail`.
 */
export interface OnionTarget {
  /** Normalised v3 onion hostname, lower case, no trailing dot, e.g. `abc...xyz.onion` (may carry a subdomain). */
  host: string;
  port: number;
}

export type RouteDecision =
  | {
      kind: 'onion';
      /** Lower-cased recipient domain the decision is for. */
      domain: string;
      /** First target to try; equal to targets[0]. */
      host: string;
      port: number;
      /** Every usable target in the order to try them (SRV priority/weight order; one entry for a map hit). */
      targets: OnionTarget[];
      source: 'map' | 'srv';
      /** True only when the SRV answer carried the AD bit from the configured validating resolver. */
      dnssec: boolean;
      /** Seconds this decision may be cached by the caller. */
      ttl: number;
      /** Human-readable why, for logs and `peergroup onionmx route`. */
      reason: string;
    }
  | { kind: 'none'; domain: string; reason: string; ttl: number }
  | { kind: 'tempfail'; domain: string; reason: string };

export interface RouteResolver {
  /** Accepts a full address (`User@Example.org`) or a bare domain; never throws for bad input (returns `none` with a reason). */
  decide(recipientOrDomain: string): Promise<RouteDecision>;
}
