import pg from 'pg';

/** Waits between reconnects: starts at 100 ms, doubles up to 5 s. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * A dedicated connection (outside the pool: LISTEN is per session) that LISTENs on one channel
 * and calls `onNotify` with each payload. If the connection drops it reconnects; a notification
 * sent meanwhile is lost, which is fine: polling remains the correctness path, this only cuts a
 * sleep short.
 */
export class WorkListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private everConnected = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly onNotify: (payload: string | undefined) => void,
  ) {}

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  /** True while a LISTEN connection is up (for tests). */
  get connected(): boolean {
    return this.client !== undefined;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.config);
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      this.retryLater();
    };
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) this.onNotify(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch {
      drop();
      return;
    }
    if (this.stopped || dropped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = RETRY_MIN_MS;
    // After a reconnect, work may have been announced while we were not listening: look now.
    if (this.everConnected) this.onNotify(undefined);
    this.everConnected = true;
  }

  private retryLater(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
