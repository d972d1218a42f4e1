/** What a gateway sends, as the rules see it (ingest has checked it and parsed `sentAt`). */
export type GatewayMessage = HeartbeatMessage | ConnectionMessage | FaultMessage | DataPointMessage;

interface MessageBase {
  /** The gateway's id, a string of digits. */
  gatewayId: string;
  /** Unique per gateway; a resend with the same id is ignored. */
  messageId?: string;
  /** When the gateway sent it (ms since the epoch): the events' `occurredAt`. */
  sentAt?: number;
}

export interface HeartbeatMessage extends MessageBase {
  kind: 'heartbeat';
}

export interface ConnectionMessage extends MessageBase {
  kind: 'connection';
  status: 'CONNECTED' | 'DISCONNECTED';
}

export interface FaultMessage extends MessageBase {
  kind: 'fault';
  displayCode: string;
  causeCode: string | number;
  severity: 'ERROR' | 'WARNING' | 'INFO';
  active: boolean;
}

export interface DataPointMessage extends MessageBase {
  kind: 'datapoint';
  key: string;
  value: number | string;
  unit?: string;
}
