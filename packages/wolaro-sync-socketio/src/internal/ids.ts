const SNOWFLAKE = /^\d{1,20}$/;
const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Whether `value` is a Discord snowflake (1 to 20 digits): user and guild ids, safe in room names. */
export function isSnowflake(value: unknown): value is string {
  return typeof value === 'string' && SNOWFLAKE.test(value);
}

/** Whether `value` can be a session id: `[A-Za-z0-9_.:-]{1,128}`. */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}
