import { describe, expect, it } from 'vitest';
import { AddressPolicy, DESTINATION_NOT_ALLOWED } from '../../src/delivery/addressPolicy.js';
import { EMBEDDED_PRIVATE_IPV6 } from './privateAddresses.js';


describe('the address policy of webhook destinations', () => {
  const strict = new AddressPolicy();

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '192.0.2.1',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fec0::1',
    'fd00:ec2::254',
    'ff02::1',
    '2001:db8::1',
    '100::1',
  ])('refuses %s without naming it', (address) => {
    expect(strict.refusal(address)).toBe(DESTINATION_NOT_ALLOWED);
  });

  it.each(EMBEDDED_PRIVATE_IPV6)('refuses the %s form %s', (_form, address) => {
    expect(strict.refusal(address)).toBe(DESTINATION_NOT_ALLOWED);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:808:808::f7f7:f7f7',
  ])('allows the public address %s', (address) => {
    expect(strict.refusal(address)).toBeUndefined();
  });

  it('refuses what is not an address at all', () => {
    expect(strict.refusal('')).toBe(DESTINATION_NOT_ALLOWED);
    expect(strict.refusal('localhost')).toBe(DESTINATION_NOT_ALLOWED);
  });

  it('allows what the operator allow-list names, and nothing more', () => {
    const policy = new AddressPolicy(['127.0.0.0/8', '::1/128']);
    expect(policy.refusal('127.0.0.1')).toBeUndefined();
    expect(policy.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(policy.refusal('::1')).toBeUndefined();
    expect(policy.refusal('10.0.0.1')).toBeDefined();
    expect(policy.refusal('169.254.169.254')).toBeDefined();
    expect(policy.refusal('2002:a00:1::1')).toBeDefined();
    expect(new AddressPolicy(['fd00::/8']).refusal('fd00:ec2::254')).toBeUndefined();
    expect(new AddressPolicy(['10.0.0.5']).refusal('10.0.0.5')).toBeUndefined();
  });

  it('rejects an allow-list entry that is not a CIDR, naming the variable', () => {
    expect(() => new AddressPolicy(['localhost'])).toThrow(/HEARTHOOK_ALLOW_PRIVATE_NETWORKS: "localhost"/);
    expect(() => new AddressPolicy(['10.0.0.0/33'])).toThrow(/HEARTHOOK_ALLOW_PRIVATE_NETWORKS: "10.0.0.0\/33"/);
  });
});
