/**
 * Worker identities are `<host>/<pid>/<random>` (src/worker.ts). A worker that finds an identity of
 * its own host can tell for certain whether that process still runs: the usual restart after a
 * SIGKILL (systemd, a supervisor, a developer pressing up-arrow) is seen at once instead of at the
 * dead feeds' heartbeat timeout. Identities of other hosts are left to the liveness workflows.
 */

/** Whether a process with this pid exists on this host (one owned by another user counts). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Identity {
  host: string;
  pid: number;
  nonce: string;
}

function parse(identity: string): Identity | null {
  const nonceAt = identity.lastIndexOf('/');
  const pidAt = identity.lastIndexOf('/', nonceAt - 1);
  if (pidAt <= 0) return null;
  const pid = Number(identity.slice(pidAt + 1, nonceAt));
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return { host: identity.slice(0, pidAt), pid, nonce: identity.slice(nonceAt + 1) };
}

/**
 * Whether the worker `identity` is known to be gone, seen from the worker `self`: same host, and
 * its pid is this process's own (a restarted container reuses pids; the nonce tells them apart)
 * or no longer exists. Unknown formats, other hosts and live pids: not known to be gone.
 */
export function goneOnThisHost(
  identity: string,
  self: string,
  alive: (pid: number) => boolean = pidAlive,
): boolean {
  if (identity === self) return false;
  const other = parse(identity);
  const me = parse(self);
  if (!other || !me || other.host !== me.host) return false;
  if (other.pid === me.pid) return other.nonce !== me.nonce;
  return !alive(other.pid);
}
