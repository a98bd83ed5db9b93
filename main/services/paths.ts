/**
 * Where things live on the user's machine. The environment is in the path (VS Code style):
 * INTERPHASE_HOME (projects, default ~/Interphase) and INTERPHASE_CONFIG (recent list, settings,
 * default ~/.config/interphase) make every run, test and CI job relocatable.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface AppPaths {
  workspace: string;
  config: string;
  staging: string;
}

export function defaultPaths(env: NodeJS.ProcessEnv = process.env): AppPaths {
  const workspace = env.INTERPHASE_HOME || join(homedir(), 'Interphase');
  const config = env.INTERPHASE_CONFIG || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'interphase');
  return { workspace, config, staging: join(workspace, '.staging') };
}
