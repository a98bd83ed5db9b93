/**
 * The project store: the open project's snapshot, the selection, and the actions the views use.
 * Views never call the API directly for project state (Zettlr: stores hide the API).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ProjectSnapshot, RecentProject, OwnerRef } from '../../../main/api/project-types.js';
import type { AppInfo, CellInput, LamellaInput, SampleInput } from '../../../main/api/contract.js';
import { api } from '../api/client.js';

export type Selection =
  | { kind: 'cell' | 'sample' | 'lamella' | 'dataset' | 'analysis' | 'figure'; id: string }
  | null;

export const useProjectStore = defineStore('project', () => {
  const snapshot = shallowRef<ProjectSnapshot | null>(null);
  const recent = ref<RecentProject[]>([]);
  const info = ref<AppInfo | null>(null);
  const selection = ref<Selection>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);
  let subscribed = false;

  const doc = computed(() => snapshot.value?.document ?? null);

  function report(e: unknown): void {
    error.value = e instanceof Error ? e.message : String(e);
  }

  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    busy.value = true;
    error.value = null;
    try {
      return await fn();
    } catch (e) {
      report(e);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  async function init(): Promise<void> {
    if (!subscribed) {
      subscribed = true;
      api().on('project', (s) => {
        snapshot.value = s;
      });
    }
    await run(async () => {
      info.value = await api().call('app.info', {});
      snapshot.value = await api().call('project.current', {});
      recent.value = await api().call('project.recent', {});
    });
  }

  const create = (name: string) => run(async () => (snapshot.value = await api().call('project.create', { name })));
  const open = (path: string) =>
    run(async () => {
      snapshot.value = await api().call('project.open', { path });
      selection.value = null;
    });
  const save = () => run(async () => (snapshot.value = await api().call('project.save', {})));
  const recover = () => run(async () => (snapshot.value = await api().call('project.recover', {})));
  const saveAs = (path: string) => run(async () => (snapshot.value = await api().call('project.saveAs', { path })));
  const close = () =>
    run(async () => {
      await api().call('project.close', {});
      snapshot.value = null;
      selection.value = null;
      recent.value = await api().call('project.recent', {});
    });

  async function addCell(input: CellInput) {
    const cell = await run(() => api().call('cell.add', input));
    if (cell) selection.value = { kind: 'cell', id: cell.id };
    return cell;
  }
  const updateCell = (id: string, patch: Partial<CellInput>) => run(() => api().call('cell.update', { id, patch }));
  async function addSample(input: SampleInput) {
    const s = await run(() => api().call('sample.add', input));
    if (s) selection.value = { kind: 'sample', id: s.id };
    return s;
  }
  const updateSample = (id: string, patch: Partial<SampleInput>) => run(() => api().call('sample.update', { id, patch }));
  async function addLamella(input: LamellaInput) {
    const l = await run(() => api().call('lamella.add', input));
    if (l) selection.value = { kind: 'lamella', id: l.id };
    return l;
  }
  const updateLamella = (id: string, patch: Partial<LamellaInput>) => run(() => api().call('lamella.update', { id, patch }));

  /** Import files chosen by the user and attach them to `owner`. */
  async function importFiles(owner: OwnerRef | null) {
    return run(async () => {
      const paths = await api().pickFiles();
      let last: string | null = null;
      for (const path of paths) {
        const recs = await api().call('dataset.import', { path, owner });
        last = recs[0]?.id ?? last;
      }
      if (last) selection.value = { kind: 'dataset', id: last };
      return paths.length;
    });
  }
  const attach = (id: string, owner: OwnerRef | null) => run(() => api().call('dataset.attach', { id, owner }));

  function select(s: Selection): void {
    selection.value = s;
  }

  return {
    snapshot,
    doc,
    recent,
    info,
    selection,
    error,
    busy,
    init,
    create,
    open,
    save,
    recover,
    saveAs,
    close,
    addCell,
    updateCell,
    addSample,
    updateSample,
    addLamella,
    updateLamella,
    importFiles,
    attach,
    select,
    report,
  };
});
