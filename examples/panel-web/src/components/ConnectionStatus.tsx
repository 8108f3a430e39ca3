/**
 * The live-connection indicator: `role="status"` (announced politely), text and accessible name
 * exactly "Live" when the socket is connected, "Reconnecting…" otherwise.
 */
export function ConnectionStatus({ connected }: { connected: boolean }) {
  const label = connected ? 'Live' : 'Reconnecting…';
  return (
    <div
      role="status"
      aria-label={label}
      className={connected ? 'conn conn-live' : 'conn conn-down'}
      title={
        connected
          ? 'Changes appear here as they happen'
          : 'Connection lost: changes will load when it is back'
      }
    >
      <span className="conn-dot" aria-hidden="true" />
      {label}
    </div>
  );
}
