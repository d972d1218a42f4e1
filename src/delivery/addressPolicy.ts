import { BlockList, isIP } from 'node:net';

/**
 * Destinations a webhook may not reach: private, loopback, link-local (cloud metadata lives at
 * 169.254.169.254), CGNAT, multicast and reserved ranges, in IPv4 and IPv6. IPv4-mapped and
 * IPv4-compatible IPv6 forms are judged by the IPv4 address inside them.
 */
const BLOCKED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const BLOCKED_V6: Array<[string, number]> = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

export class AddressPolicy {
  private readonly blocked = new BlockList();
  private readonly allowed = new BlockList();
  /**
   * Answers already given (the lists never change): an IP-literal endpoint is checked on every
   * POST, and BlockList builds a SocketAddress per check (2% of the serve process at saturation).
   */
  private readonly answers = new Map<string, string | undefined>();

  /** @param allowCidrs operator allow-list (HEARTHOOK_ALLOW_PRIVATE_NETWORKS), e.g. `127.0.0.0/8`. */
  constructor(allowCidrs: readonly string[] = []) {
    for (const [net, prefix] of BLOCKED_V4) this.blocked.addSubnet(net, prefix, 'ipv4');
    for (const [net, prefix] of BLOCKED_V6) this.blocked.addSubnet(net, prefix, 'ipv6');
    for (const cidr of allowCidrs) {
      const [net, prefixText] = cidr.split('/');
      const family = isIP(net);
      const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
      if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
        throw new Error(`HEARTHOOK_ALLOW_PRIVATE_NETWORKS: "${cidr}" is not a CIDR such as 127.0.0.0/8`);
      }
      this.allowed.addSubnet(net, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /** Why `address` may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined {
    if (this.answers.has(address)) return this.answers.get(address);
    const answer = this.check(address);
    if (this.answers.size >= 10_000) this.answers.clear();
    this.answers.set(address, answer);
    return answer;
  }

  private check(address: string): string | undefined {
    const v4 = embeddedIpv4(address);
    const [ip, family] = v4 ? [v4, 'ipv4' as const] : [address, isIP(address) === 6 ? ('ipv6' as const) : ('ipv4' as const)];
    if (!this.blocked.check(ip, family)) return undefined;
    if (this.allowed.check(ip, family) || (v4 && this.allowed.check(address, 'ipv6'))) return undefined;
    return `${address} is a private, loopback, link-local or reserved address`;
  }
}

/** The IPv4 address inside `::ffff:a.b.c.d`, `::ffff:7f00:1` or `::a.b.c.d`, if any. */
function embeddedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const lower = address.toLowerCase();
  const dotted = /^(?:0*:)*(?:::)?(?:0*:)*(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/.exec(lower.replace(/^::/, '0:'));
  if (dotted && isIP(dotted[1]) === 4) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = Number.parseInt(hex[1], 16);
    const lo = Number.parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return undefined;
}
