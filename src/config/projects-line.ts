/**
 * The line a command that acts on projects starts with: which two projects (their URLs, never a
 * key) and where each URL came from. The environment overrides the env file (env-sources.ts); when
 * both set a URL to different values the line says so, since a shell that sourced another stack's
 * env file would otherwise act on other projects than the env file names, silently.
 */
import type { SyncConfig } from '../contracts/config.js';
import type { EnvSources } from './env-sources.js';

export function projectsLine(config: Pick<SyncConfig, 'source' | 'target'>, sources: EnvSources): string {
  const one = (role: 'source' | 'target', url: string) => {
    const name = `SYNC_${role.toUpperCase()}_SUPABASE_URL`;
    if (sources.origin[name] !== 'environment') return `${role} ${url} (from ${sources.envFileLabel})`;
    // (A URL's user:password part, should one be pasted there, is not shown.)
    const inFile = sources.fileValues[name]?.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/\s]*@/, '$1***@');
    const differs = inFile !== undefined && inFile.replace(/\/+$/, '') !== url;
    return `${role} ${url} (from the environment${differs ? `, not ${sources.envFileLabel}'s ${inFile}` : ''})`;
  };
  return `projects: ${one('source', config.source.url)} → ${one('target', config.target.url)}`;
}
