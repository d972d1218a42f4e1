/**
 * Reading and writing contract rows, shared by the partner routes (accept, reject, revoke) and
 * the operator routes (pair, close), so that every transition writes its CONTRACT_STATUS event
 * the same way: in the transaction that changes the row.
 */
import { recordAudit } from '../../audit/recordAudit.js';
import { CONTRACT_TRANSITIONS, type ContractAction, type ContractStatus, nextContractStatus } from '../../domain/contracts.js';
import type { Consent } from '../../domain/eventTypes.js';
import { fanOut, type NewEvent } from '../../fanout/fanOut.js';
import type { Runtime } from '../../runtime.js';
import type { Db } from '../../store/db.js';
import { HttpError, notFound } from '../httpError.js';
import { iso } from '../schemas.js';

export interface ContractRow {
  gateway_id: string;
  company_id: string;
  status: ContractStatus;
  consent: Consent;
  created_at: number;
  updated_at: number;
}

/** A contract row as the API shows it. */
export function contractJson(row: ContractRow) {
  return {
    gatewayId: row.gateway_id,
    companyId: row.company_id,
    status: row.status,
    consent: row.consent,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A company's contracts, by gateway. */
export function listContracts(db: Db, companyId: string): Promise<ContractRow[]> {
  return db.all<ContractRow>('SELECT * FROM contracts WHERE company_id = ? ORDER BY gateway_id', [companyId]);
}

/** The contract between a gateway and a company, if there is one. */
export function findContract(db: Db, gatewayId: string, companyId: string): Promise<ContractRow | undefined> {
  return db.get<ContractRow>('SELECT * FROM contracts WHERE gateway_id = ? AND company_id = ?', [gatewayId, companyId]);
}

/**
 * Writes `next` (inserting it when `previous` is null) and, when the old or the new status is
 * ACTIVE, the CONTRACT_STATUS event for the contract's company, all in `tx`. Transitions that
 * never touch ACTIVE (PENDING → REJECTED, say) send nothing: the company received no events for
 * that gateway before and receives none after. Returns how many deliveries were queued and the
 * events made (for `rt.observer.eventsMade` once the transaction commits).
 */
export async function saveContract(
  tx: Db,
  now: number,
  previous: ContractStatus | null,
  next: ContractRow,
): Promise<{ queued: number; events: NewEvent[] }> {
  if (previous === null) {
    await tx.run(
      'INSERT INTO contracts (gateway_id, company_id, status, consent, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [next.gateway_id, next.company_id, next.status, next.consent, next.created_at, next.updated_at],
    );
  } else {
    await tx.run('UPDATE contracts SET status = ?, consent = ?, updated_at = ? WHERE gateway_id = ? AND company_id = ?', [
      next.status,
      next.consent,
      next.updated_at,
      next.gateway_id,
      next.company_id,
    ]);
  }
  if (previous !== 'ACTIVE' && next.status !== 'ACTIVE') return { queued: 0, events: [] };
  const events: NewEvent[] = [
    {
      type: 'CONTRACT_STATUS',
      gatewayId: next.gateway_id,
      forCompany: next.company_id,
      data: { previousStatus: previous, status: next.status, companyId: next.company_id },
    },
  ];
  return { queued: await fanOut(tx, now, events), events };
}

/** Records a contract write in the audit log (both companies' views name the contract `gateway/company`). */
export function auditContract(tx: Db, actor: string, now: number, action: string, before: ContractRow | undefined, after: ContractRow | undefined) {
  const row = (after ?? before)!;
  return recordAudit(tx, actor, now, {
    companyId: row.company_id,
    action,
    target: `${row.gateway_id}/${row.company_id}`,
    before: before && contractJson(before),
    after: after && contractJson(after),
  });
}

/** The 409 for an action the contract's state does not allow, saying which state it is in. */
export function transitionConflict(action: ContractAction, status: ContractStatus | 'NONE'): HttpError {
  const from = Object.keys(CONTRACT_TRANSITIONS[action]).join(' or ');
  return new HttpError(409, `the contract is ${status}; ${action} needs it to be ${from}`);
}

/**
 * Applies `action` to the contract of (gateway, company) in one transaction and wakes the
 * dispatchers after commit when deliveries were queued. 404 when there is no such contract,
 * 409 when its state does not allow the action.
 */
export async function applyContractAction(
  rt: Runtime,
  gatewayId: string,
  companyId: string,
  action: ContractAction,
  actor: string,
): Promise<ContractRow> {
  const now = rt.clock.now();
  const { row, saved } = await rt.store.transaction(async (tx) => {
    const current = await findContract(tx, gatewayId, companyId);
    if (!current) throw notFound('contract');
    const status = nextContractStatus(action, current.status);
    if (!status) throw transitionConflict(action, current.status);
    const next: ContractRow = { ...current, status, updated_at: now };
    const saved = await saveContract(tx, now, current.status, next);
    await auditContract(tx, actor, now, `contract.${action.toLowerCase()}`, current, next);
    return { row: next, saved };
  });
  if (saved.queued > 0) rt.store.notifyWork();
  rt.observer.eventsMade(saved.events);
  return row;
}
