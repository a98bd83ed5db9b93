/**
 * The recent-projects list, stored as JSON in the app's config directory (not in any bundle).
 * Most recent first, at most 10, one entry per bundle path. Written atomically (atomic-write.ts)
 * so a crash never leaves a torn list; a missing or unreadable list is simply empty — it is a
 * convenience cache, never worth failing app start-up for.
 *
 * Entries whose bundle no longer exists are hidden when listing but kept in the file: a bundle on
 * an unmounted network share or USB disk reappears when the disk does.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as v from 'valibot';
import type { RecentProject } from '../api/project-types.js';
import { writeFileAtomic } from './atomic-write.js';
import { isBundle } from './bundle-layout.js';

export const RECENT_FILE = 'recent-projects.json';
export const RECENT_MAX = 10;

const RecentFileSchema = v.object({
  version: v.literal(1),
  projects: v.array(v.object({ path: v.pipe(v.string(), v.maxLength(4096)), name: v.pipe(v.string(), v.maxLength(1000)), opened: v.pipe(v.string(), v.maxLength(64)) })),
});

export class RecentProjects {
  private readonly file: string;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly configDir: string,
    private readonly max = RECENT_MAX,
  ) {
    this.file = join(configDir, RECENT_FILE);
  }

  /** Entries whose bundle still exists, most recent first. */
  list(): Promise<RecentProject[]> {
    return this.queue(async () => {
      const all = await this.read();
      const present: RecentProject[] = [];
      for (const p of all) if (await isBundle(p.path)) present.push(p);
      return present;
    });
  }

  /** Record that `path` was opened now: moved to the front, deduplicated, list capped. */
  add(entry: { path: string; name: string; opened?: string }): Promise<RecentProject[]> {
    const abs = resolve(entry.path);
    const opened = entry.opened ?? new Date().toISOString();
    const name = entry.name;
    return this.queue(async () => {
      const rest = (await this.read()).filter((p) => resolve(p.path) !== abs);
      const next = [{ path: abs, name, opened }, ...rest].slice(0, this.max);
      await this.write(next);
      return next;
    });
  }

  remove(path: string): Promise<RecentProject[]> {
    const abs = resolve(path);
    return this.queue(async () => {
      const next = (await this.read()).filter((p) => resolve(p.path) !== abs);
      await this.write(next);
      return next;
    });
  }

  clear(): Promise<void> {
    return this.queue(() => this.write([]));
  }

  /** Serialise read-modify-write cycles so concurrent adds never lose an entry. */
  private queue<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async read(): Promise<RecentProject[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return [];
    }
    try {
      const r = v.safeParse(RecentFileSchema, JSON.parse(text));
      return r.success ? r.output.projects.slice(0, this.max) : [];
    } catch {
      return [];
    }
  }

  private async write(projects: RecentProject[]): Promise<void> {
    await mkdir(this.configDir, { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, projects }, null, 2)}\n`);
  }
}
