/**
 * Column mappings remembered per header signature (issue #4: the generic CSV importer "remembers
 * mappings"): the next file whose header has the same labels in the same order maps itself.
 * One JSON file in the config directory, written atomically; unreadable content is ignored with
 * a warning rather than blocking imports.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import type { ColumnMapping } from '../api/dataset.js';
import { writeFileAtomic } from '../project/atomic-write.js';
import { ColumnMappingSchema } from '../project/schema.js';

const FILE = 'column-mappings.json';
const StoreSchema = v.record(v.pipe(v.string(), v.maxLength(64)), v.object({ mapping: ColumnMappingSchema, saved: v.string() }));
type Store = v.InferOutput<typeof StoreSchema>;

export class RememberedMappings {
  private readonly file: string;
  private tail: Promise<unknown> = Promise.resolve();
  constructor(configDir: string) {
    this.file = join(configDir, FILE);
  }

  private async read(): Promise<Store> {
    try {
      const r = v.safeParse(StoreSchema, JSON.parse(await readFile(this.file, 'utf8')));
      if (r.success) return r.output;
      console.warn(`Interphase: ignoring ${this.file}: not a column-mapping store`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') console.warn(`Interphase: ignoring ${this.file}: ${(e as Error).message}`);
    }
    return {};
  }

  async get(signature: string): Promise<{ mapping: ColumnMapping; saved: string } | null> {
    return (await this.read())[signature] ?? null;
  }

  remember(signature: string, mapping: ColumnMapping): Promise<void> {
    const next = this.tail.then(async () => {
      const all = await this.read();
      all[signature] = { mapping, saved: new Date().toISOString() };
      await writeFileAtomic(this.file, `${JSON.stringify(all, null, 2)}\n`);
    });
    this.tail = next.catch(() => undefined);
    return next;
  }
}
