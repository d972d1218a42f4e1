/** Every IPv6 form that carries a loopback, private or metadata IPv4 address. */
export const EMBEDDED_PRIVATE_IPV6 = [
  ['IPv4-compatible ::/96 (what [::127.0.0.1] parses to)', '::7f00:1'],
  ['IPv4-compatible, dotted', '::127.0.0.1'],
  ['IPv4-mapped', '::ffff:7f00:1'],
  ['IPv4-mapped, dotted', '::ffff:127.0.0.1'],
  ['IPv4-mapped metadata address', '::ffff:a9fe:a9fe'],
  ['IPv4-translated (SIIT) ::ffff:0:0:0/96', '::ffff:0:7f00:1'],
  ['NAT64 64:ff9b::/96', '64:ff9b::a00:1'],
  ['NAT64 local-use 64:ff9b:1::/48', '64:ff9b:1::808:808'],
  ['6to4 2002::/16', '2002:7f00:1::1'],
  ['6to4 of 192.168.1.1', '2002:c0a8:101::1'],
  ['Teredo, private server', '2001:0:a00:1::1'],
  ['Teredo, private client (obfuscated 127.0.0.1)', '2001:0:808:808:0:0:80ff:fffe'],
] as const;
