/**
 * Contracts (pairings of a gateway with a company) and how they move between states. The whole
 * life cycle is the table below, so the partner API, the operator API and the tests all read the
 * same rules instead of each keeping its own `if` chain.
 */
export const CONTRACT_STATUSES = ['PENDING', 'ACTIVE', 'REJECTED', 'REVOKED', 'CLOSED'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

/** What a partner may do to a contract (`PATCH /v1/contracts/{gatewayId}`). */
export const PARTNER_ACTIONS = ['ACCEPT', 'REJECT', 'REVOKE'] as const;
export type PartnerAction = (typeof PARTNER_ACTIONS)[number];

/**
 * Every action, by who takes it:
 * - partner: ACCEPT, REJECT, REVOKE;
 * - owner: PAIR (the company must accept), PAIR_ACCEPTED (the company auto-accepts), CLOSE.
 */
export type ContractAction = PartnerAction | 'PAIR' | 'PAIR_ACCEPTED' | 'CLOSE';

/** A contract that does not exist yet: the state pairing starts from. */
export const NO_CONTRACT = 'NONE' as const;
type From = ContractStatus | typeof NO_CONTRACT;

/** States that end a contract; pairing again reopens such a row. */
const ENDED = ['REJECTED', 'REVOKED', 'CLOSED'] as const;
const reopen = (to: ContractStatus) =>
  Object.fromEntries([NO_CONTRACT, ...ENDED].map((from) => [from, to])) as Partial<Record<From, ContractStatus>>;

/**
 * action → (current state → next state). A pair missing here is not allowed.
 * The owner may close an ended (REJECTED, REVOKED) contract too, so that the partner can
 * acknowledge it with DELETE and it leaves both sides' lists.
 */
export const CONTRACT_TRANSITIONS: Readonly<Record<ContractAction, Partial<Record<From, ContractStatus>>>> = {
  ACCEPT: { PENDING: 'ACTIVE' },
  REJECT: { PENDING: 'REJECTED' },
  REVOKE: { ACTIVE: 'REVOKED' },
  CLOSE: { PENDING: 'CLOSED', ACTIVE: 'CLOSED', REJECTED: 'CLOSED', REVOKED: 'CLOSED' },
  PAIR: reopen('PENDING'),
  PAIR_ACCEPTED: reopen('ACTIVE'),
};

/**
 * The state `action` moves a contract in state `from` to, or undefined when the action is not
 * allowed in that state.
 *
 * @example nextContractStatus('ACCEPT', 'PENDING') // 'ACTIVE'
 * @example nextContractStatus('REVOKE', 'PENDING') // undefined
 */
export function nextContractStatus(action: ContractAction, from: From): ContractStatus | undefined {
  return CONTRACT_TRANSITIONS[action][from];
}
