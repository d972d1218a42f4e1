import type { FastifyInstance } from 'fastify';
import { actorOf, recordAudit } from '../../audit/recordAudit.js';
import type { Runtime } from '../../runtime.js';
import { newId } from '../../util/ids.js';
import { HttpError } from '../httpError.js';
import { mintApiKey, mintedKeySchema } from '../partner/apiKeys.js';
import { iso, problems } from '../schemas.js';

interface CreateCompanyBody {
  name: string;
  languages: string[];
  autoAccept?: boolean;
}

/** Language tags as the fault translations use them: `en`, `de`, `pt-BR`, `zh-Hant-TW`. */
const languageTag = { type: 'string', maxLength: 35, pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$', description: 'BCP 47 tag, e.g. en, de, pt-BR' };

const companySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    languages: { type: 'array', items: { type: 'string' } },
    autoAccept: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'name', 'languages', 'autoAccept', 'createdAt'],
};

const security = [{ adminToken: [] }];
const tags = ['Operator'];

/** Throws a 404 naming `field` unless the company exists. */
export async function requireCompany(rt: Runtime, companyId: string, field: string): Promise<void> {
  const row = await rt.store.get('SELECT 1 AS found FROM companies WHERE id = ?', [companyId]);
  if (!row) throw new HttpError(404, 'company not found', [{ field, message: `no company has the id ${companyId}` }]);
}

/** `POST /v1/admin/companies` and `POST /v1/admin/companies/{companyId}/api-keys`. */
export function companyRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post<{ Body: CreateCompanyBody }>(
    '/companies',
    {
      schema: {
        tags,
        security,
        operationId: 'createCompany',
        description: 'Registers a partner company: its languages (fault descriptions are translated into them) and whether contracts the owner makes start ACTIVE.',
        summary: 'Register a partner company',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'languages'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            languages: {
              type: 'array',
              minItems: 1,
              maxItems: 20,
              uniqueItems: true,
              items: languageTag,
              description: 'languages fault descriptions are translated into, preferred first',
            },
            autoAccept: { type: 'boolean', default: false, description: 'contracts the owner makes start ACTIVE' },
          },
        },
        response: { 201: companySchema, ...problems() },
      },
    },
    async (request, reply) => {
      const { name, languages, autoAccept = false } = request.body;
      const id = newId('cmp');
      const now = rt.clock.now();
      const company = { id, name, languages, autoAccept, createdAt: iso(now) };
      await rt.store.transaction(async (tx) => {
        await tx.run('INSERT INTO companies (id, name, languages, auto_accept, created_at) VALUES (?, ?, ?, ?, ?)', [
          id,
          name,
          JSON.stringify(languages),
          autoAccept ? 1 : 0,
          now,
        ]);
        await recordAudit(tx, actorOf(request), now, { companyId: id, action: 'company.create', target: id, after: company });
      });
      reply.code(201);
      return company;
    },
  );

  app.post<{ Params: { companyId: string } }>(
    '/companies/:companyId/api-keys',
    {
      schema: {
        tags,
        security,
        operationId: 'createCompanyApiKey',
        summary: 'Mint an API key for a company (its first, or a replacement)',
        description:
          'Mints an x-api-key for the company, shown only in this answer (stored as a hash); it expires after 6 months. Always succeeds for an existing company: at 10 unexpired keys it revokes the oldest partner-minted key (named in revokedKeyId), so a partner can never lock out its operator.',
        params: { type: 'object', properties: { companyId: { type: 'string' } }, required: ['companyId'] },
        response: { 201: mintedKeySchema, ...problems(404) },
      },
    },
    async (request, reply) => {
      await requireCompany(rt, request.params.companyId, '/params/companyId');
      reply.code(201);
      return mintApiKey(rt, request.params.companyId, 'operator', actorOf(request));
    },
  );
}
