import { describe, expect, it } from 'vitest';
import { AddressPolicy } from '../../src/delivery/addressPolicy.js';

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
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::127.0.0.1',
  ])('refuses %s', (address) => {
    expect(strict.refusal(address)).toMatch(/private, loopback, link-local or reserved/);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(strict.refusal(address)).toBeUndefined();
  });

  it('allows what the operator allow-list names, and nothing more', () => {
    const policy = new AddressPolicy(['127.0.0.0/8', '::1/128']);
    expect(policy.refusal('127.0.0.1')).toBeUndefined();
    expect(policy.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(policy.refusal('::1')).toBeUndefined();
    expect(policy.refusal('10.0.0.1')).toBeDefined();
    expect(policy.refusal('169.254.169.254')).toBeDefined();
  });

  it('rejects an allow-list entry that is not a CIDR, naming the variable', () => {
    expect(() => new AddressPolicy(['localhost'])).toThrow(/HEARTHOOK_ALLOW_PRIVATE_NETWORKS: "localhost"/);
  });
});
