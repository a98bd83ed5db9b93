/**
 * Child process for kill-during-save.test.ts: opens the bundle given as argv[2] and, until it is
 * killed, adds one cell with deterministic, growing content and saves, printing "saved N" after
 * each save has resolved (N = number of cells now durable). Pipes are synchronous on Linux, so a
 * printed line reaches the parent even if SIGKILL follows immediately.
 */
import { ProjectStore } from '../../../main/project/project-store.js';

/** The content of cell i; the test recomputes it to check that what it reads is a real state. */
export function notesFor(i: number): string {
  return `${'n'.repeat(200 + (i % 17) * 97)} #${i}`;
}

async function main(): Promise<void> {
  const bundle = process.argv[2];
  if (!bundle) throw new Error('usage: save-loop.child.ts <bundle>');
  const store = await ProjectStore.open(bundle);
  process.stdout.write(`ready ${store.document.cells.length}\n`);
  for (;;) {
    const i = store.document.cells.length;
    await store.addCell({ name: `cell ${i}`, chemistry: 'LNMO/LiPON/Li', layers: [], notes: notesFor(i) });
    await store.save();
    process.stdout.write(`saved ${i + 1}\n`);
  }
}

// Only run when executed as a script, so the test can import notesFor.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  });
}
