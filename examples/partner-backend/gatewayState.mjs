// @ts-check
/**
 * The partner's per-gateway state table in SQLite (better-sqlite3), and how each Hearthook event
 * changes it. Every event is applied in one transaction with a row in `applied_events`, keyed by
 * the event id: a duplicate (a retry after a lost answer, a Hearthook node that died after
 * sending) finds its row and changes nothing, so the state has each event exactly once.
 */

/** The data point whose value is the appliance's operation status (as GET /v1/hvacs/{id}/status reads it). */
const OPERATION_STATUS_KEY = 'hvac.emon.compressor.operationStatus';
/** Test events (`hearthook trigger`, POST /v1/webhooks/{id}/test) come from this gateway: not a real one. */
const TEST_GATEWAY = '000000000';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS applied_events (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, gateway_id TEXT NOT NULL, sequence INTEGER, applied_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS gateways (
  gateway_id TEXT PRIMARY KEY, contract_status TEXT, connectivity TEXT, connectivity_since TEXT,
  operation_status TEXT, operation_status_at TEXT);
CREATE TABLE IF NOT EXISTS faults (
  gateway_id TEXT NOT NULL, display_code TEXT NOT NULL, cause_code TEXT NOT NULL, severity TEXT NOT NULL,
  since TEXT NOT NULL, descriptions TEXT NOT NULL, PRIMARY KEY (gateway_id, display_code, cause_code));
CREATE TABLE IF NOT EXISTS data_points (
  gateway_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, unit TEXT, reported_at TEXT NOT NULL,
  PRIMARY KEY (gateway_id, key));
CREATE TABLE IF NOT EXISTS daily_energy (
  gateway_id TEXT NOT NULL, date TEXT NOT NULL, kwh REAL NOT NULL, starts TEXT NOT NULL, sample_count INTEGER NOT NULL,
  PRIMARY KEY (gateway_id, date));
`;

/**
 * @param {import('better-sqlite3').Database} db
 */
export function gatewayState(db) {
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  const markApplied = db.prepare('INSERT INTO applied_events (id, type, gateway_id, sequence, applied_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
  const ensureGateway = db.prepare('INSERT INTO gateways (gateway_id) VALUES (?) ON CONFLICT (gateway_id) DO NOTHING');
  const setContract = db.prepare('UPDATE gateways SET contract_status = ? WHERE gateway_id = ?');
  const setConnectivity = db.prepare('UPDATE gateways SET connectivity = ?, connectivity_since = ? WHERE gateway_id = ?');
  const setOperation = db.prepare('UPDATE gateways SET operation_status = ?, operation_status_at = ? WHERE gateway_id = ?');
  const openFault = db.prepare(
    `INSERT INTO faults (gateway_id, display_code, cause_code, severity, since, descriptions) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (gateway_id, display_code, cause_code) DO UPDATE SET severity = excluded.severity, descriptions = excluded.descriptions`,
  );
  const closeFault = db.prepare('DELETE FROM faults WHERE gateway_id = ? AND display_code = ? AND cause_code = ?');
  const setDataPoint = db.prepare(
    `INSERT INTO data_points (gateway_id, key, value, unit, reported_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (gateway_id, key) DO UPDATE SET value = excluded.value, unit = excluded.unit, reported_at = excluded.reported_at`,
  );
  const setDay = db.prepare(
    `INSERT INTO daily_energy (gateway_id, date, kwh, starts, sample_count) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (gateway_id, date) DO UPDATE SET kwh = excluded.kwh, starts = excluded.starts, sample_count = excluded.sample_count`,
  );

  /**
   * Applies one event to the state, once: false when it had been applied already.
   * @type {(event: import('hearthook/receiver').HearthookEvent) => boolean}
   */
  const apply = db.transaction((event) => {
    if (event.gatewayId === TEST_GATEWAY) return false;
    if (markApplied.run(event.id, event.type, event.gatewayId, event.sequence ?? null, Date.now()).changes === 0) return false;
    const { data, timestamp } = fieldsOf(event);
    const gw = event.gatewayId;
    ensureGateway.run(gw);
    switch (event.type) {
      case 'CONTRACT_STATUS':
        setContract.run(data.status, gw);
        break;
      case 'CONNECTIVITY_STATUS':
        setConnectivity.run(data.connectivityStatus, timestamp, gw);
        break;
      case 'APPLIANCE_STATUS':
        if (data.status === 'ACTIVE') openFault.run(gw, data.displayCode, String(data.causeCode), data.severity, timestamp, JSON.stringify(data.descriptions));
        else closeFault.run(gw, data.displayCode, String(data.causeCode));
        break;
      case 'DATA_POINT':
        setDataPoint.run(gw, data.key, JSON.stringify(data.value), data.unit ?? null, timestamp);
        if (data.key === OPERATION_STATUS_KEY) setOperation.run(JSON.stringify(data.value), timestamp, gw);
        break;
      case 'DAILY_AGGREGATE':
        setDay.run(gw, data.date, data.energyConsumption.value, JSON.stringify(data.numberOfStarts), data.sampleCount);
        break;
      default:
        // Unknown types are a minor change: ignore them (the id is kept, so it is not retried).
        break;
    }
    return true;
  });

  /**
   * One gateway's row of the state table with its faults, data points and days, or undefined.
   * @param {string} gatewayId
   */
  function read(gatewayId) {
    const row = /** @type {Record<string, string | null> | undefined} */ (db.prepare('SELECT * FROM gateways WHERE gateway_id = ?').get(gatewayId));
    if (!row) return undefined;
    const faults = db
      .prepare('SELECT display_code, cause_code, severity, since, descriptions FROM faults WHERE gateway_id = ? ORDER BY since, display_code')
      .all(gatewayId)
      .map((/** @type {any} */ f) => ({ displayCode: f.display_code, causeCode: f.cause_code, severity: f.severity, since: f.since, descriptions: JSON.parse(f.descriptions) }));
    const dataPoints = db
      .prepare('SELECT key, value, unit, reported_at FROM data_points WHERE gateway_id = ? ORDER BY key')
      .all(gatewayId)
      .map((/** @type {any} */ d) => ({ key: d.key, value: JSON.parse(d.value), unit: d.unit, timestamp: d.reported_at }));
    const dailyEnergy = db
      .prepare('SELECT date, kwh, starts, sample_count FROM daily_energy WHERE gateway_id = ? ORDER BY date')
      .all(gatewayId)
      .map((/** @type {any} */ d) => ({ date: d.date, kWh: d.kwh, numberOfStarts: JSON.parse(d.starts), sampleCount: d.sample_count }));
    return {
      gatewayId,
      contractStatus: row.contract_status,
      connectivity: row.connectivity === null ? null : { status: row.connectivity, since: row.connectivity_since },
      faults,
      operationStatus: row.operation_status === null ? null : { value: JSON.parse(row.operation_status), timestamp: row.operation_status_at },
      dataPoints,
      dailyEnergy,
    };
  }

  return {
    apply,
    read,
    /** Every gateway's state. */
    readAll: () => db.prepare('SELECT gateway_id FROM gateways ORDER BY gateway_id').all().map((/** @type {any} */ r) => read(r.gateway_id)),
    /** The ids of every event applied, in the order they were applied. */
    appliedIds: () => db.prepare('SELECT id FROM applied_events ORDER BY rowid').all().map((/** @type {any} */ r) => r.id),
  };
}

/**
 * The type's fields and the event's time, whatever the major: major 2 has them under `data`,
 * major 1 at the top level beside `eventType`, `gatewayId` and `timestamp`.
 * @param {import('hearthook/receiver').HearthookEvent} event
 * @returns {{ data: any, timestamp: string }}
 */
function fieldsOf(event) {
  if (event.major === 2) return { data: event.body.data, timestamp: event.body.timestamp };
  const { eventType: _type, gatewayId: _gateway, timestamp, ...data } = /** @type {Record<string, any>} */ (event.body);
  return { data, timestamp };
}
