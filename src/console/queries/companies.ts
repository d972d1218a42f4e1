import type { Db } from '../../store/db.js';

export interface CompanyListing {
  id: string;
  name: string;
  languages: string[];
  autoAccept: boolean;
  createdAt: number;
  webhooks: number;
  activeContracts: number;
  keys: { id: string; prefix: string; createdAt: number; expiresAt: number }[];
}

/** Every company with its webhook and contract counts and its API keys (prefixes only: keys are stored as hashes). */
export async function listCompanies(db: Db, limit = 500): Promise<CompanyListing[]> {
  const [companies, keys] = await Promise.all([
    db.all<{ id: string; name: string; languages: string; auto_accept: number; created_at: number; webhooks: number | string; active: number | string }>(
      `SELECT c.id, c.name, c.languages, c.auto_accept, c.created_at,
              (SELECT COUNT(*) FROM webhooks w WHERE w.company_id = c.id) AS webhooks,
              (SELECT COUNT(*) FROM contracts k WHERE k.company_id = c.id AND k.status = 'ACTIVE') AS active
         FROM companies c ORDER BY c.name, c.id LIMIT ?`,
      [limit],
    ),
    db.all<{ id: string; company_id: string; key_prefix: string; created_at: number; expires_at: number }>(
      'SELECT id, company_id, key_prefix, created_at, expires_at FROM api_keys ORDER BY created_at, id',
    ),
  ]);
  const byCompany = new Map<string, CompanyListing['keys']>();
  for (const k of keys) {
    const list = byCompany.get(k.company_id) ?? [];
    list.push({ id: k.id, prefix: k.key_prefix, createdAt: Number(k.created_at), expiresAt: Number(k.expires_at) });
    byCompany.set(k.company_id, list);
  }
  return companies.map((c) => ({
    id: c.id,
    name: c.name,
    languages: JSON.parse(c.languages),
    autoAccept: c.auto_accept === 1,
    createdAt: Number(c.created_at),
    webhooks: Number(c.webhooks),
    activeContracts: Number(c.active),
    keys: byCompany.get(c.id) ?? [],
  }));
}
