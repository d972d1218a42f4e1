import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** What a refused destination is told: never the address, so a partner can't map internal DNS. */
export const DESTINATION_NOT_ALLOWED = 'destination not allowed: a private, loopback, link-local or reserved address';

/**
 * Which destinations a webhook may reach. Only globally routable unicast addresses, as the
 * maintained `ipaddr.js` ranges name them (`unicast`); everything else (private, loopback,
 * link-local with the cloud metadata at 169.254.169.254, CGNAT, unique-local, multicast,
 * documentation, benchmarking, discard, site-local, …) is refused unless the operator's
 * allow-list (HEARTHOOK_ALLOW_PRIVATE_NETWORKS) names it.
 *
 * IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped
 * (`::ffff:0:0/96`, and the SIIT `::ffff:0:0:0/96`), IPv4-compatible (`::/96`, which
 * `http://[::127.0.0.1]/` becomes `::7f00:1`), NAT64 (`64:ff9b::/96`), 6to4 (`2002::/16`) and
 * Teredo (`2001::/32`, both its server and its client address). The local-use NAT64 prefix
 * `64:ff9b:1::/48` is refused outright: what it translates to is a local decision.
 *
 * @example
 * new AddressPolicy().refusal('::ffff:7f00:1'); // 'destination not allowed: …'
 * new AddressPolicy(['127.0.0.0/8']).refusal('127.0.0.1'); // undefined
 */
export class AddressPolicy {
  private readonly allowed: Array<[Address, number]> = [];
  /**
   * Answers already given (the lists never change): an IP-literal endpoint is checked on every
   * POST; parsing is cheap but not free at 20k requests/s. Cleared at 10,000 addresses.
   */
  private readonly answers = new Map<string, string | undefined>();

  /** @param allowCidrs operator allow-list (HEARTHOOK_ALLOW_PRIVATE_NETWORKS), e.g. `127.0.0.0/8`. */
  constructor(allowCidrs: readonly string[] = []) {
    for (const cidr of allowCidrs) {
      try {
        this.allowed.push(cidr.includes('/') ? ipaddr.parseCIDR(cidr) : hostRange(ipaddr.parse(cidr)));
      } catch {
        throw new Error(`HEARTHOOK_ALLOW_PRIVATE_NETWORKS: "${cidr}" is not a CIDR such as 127.0.0.0/8`);
      }
    }
  }

  /** Why `address` (an IP literal) may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined {
    if (this.answers.has(address)) return this.answers.get(address);
    const answer = this.allows(address) ? undefined : DESTINATION_NOT_ALLOWED;
    if (this.answers.size >= 10_000) this.answers.clear();
    this.answers.set(address, answer);
    return answer;
  }

  private allows(text: string): boolean {
    if (!ipaddr.isValid(text)) return false;
    const address = ipaddr.parse(text);
    if (this.listed(address)) return true;
    if (address.kind() === 'ipv4') return address.range() === 'unicast';
    const v6 = address as ipaddr.IPv6;
    const embedded = embeddedIpv4(v6);
    if (embedded === null) return false;
    if (embedded.length > 0) return embedded.every((v4) => this.listed(v4) || v4.range() === 'unicast');
    return v6.range() === 'unicast';
  }

  private listed(address: Address): boolean {
    return this.allowed.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits));
  }
}

/**
 * The IPv4 addresses an IPv6 address carries (empty when it carries none), or null for the
 * local-use NAT64 prefix, whose meaning is local.
 */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4[] | null {
  const p = address.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  const zero = (from: number, to: number) => p.slice(from, to).every((part) => part === 0);
  if (zero(0, 5) && (p[5] === 0xffff || p[5] === 0)) return [v4(p[6], p[7])]; // ::ffff:0:0/96, ::/96 (:: and ::1 too)
  if (zero(0, 4) && p[4] === 0xffff && p[5] === 0) return [v4(p[6], p[7])]; // ::ffff:0:0:0/96
  if (p[0] === 0x64 && p[1] === 0xff9b) return zero(2, 6) ? [v4(p[6], p[7])] : null; // 64:ff9b::/96; 64:ff9b:1::/48
  if (p[0] === 0x2002) return [v4(p[1], p[2])]; // 6to4
  if (p[0] === 0x2001 && p[1] === 0) return [v4(p[2], p[3]), v4(p[6] ^ 0xffff, p[7] ^ 0xffff)]; // Teredo server, client
  return [];
}

function hostRange(address: Address): [Address, number] {
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}
