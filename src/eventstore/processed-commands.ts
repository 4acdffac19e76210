import type { Pool } from 'pg';
import type { ProcessedCommand } from './types';

type Row = {
  command_id: string;
  command_type: string;
  request_hash: string;
  aggregate_id: string;
  version: number;
  first_position: string;
  last_position: string;
};

/** The record an earlier append left for this commandId, if any. */
export async function findProcessedCommand(pool: Pool, commandId: string): Promise<ProcessedCommand | undefined> {
  const { rows } = await pool.query<Row>({
    name: 'find-processed-command',
    text: `SELECT command_id, command_type, request_hash, aggregate_id, version,
             first_position::text AS first_position, last_position::text AS last_position
           FROM processed_commands WHERE command_id = $1`,
    values: [commandId],
  });
  const row = rows[0];
  if (!row) return undefined;
  return {
    commandId: row.command_id,
    commandType: row.command_type,
    requestHash: row.request_hash,
    aggregateId: row.aggregate_id,
    version: row.version,
    firstPosition: BigInt(row.first_position),
    lastPosition: BigInt(row.last_position),
  };
}
