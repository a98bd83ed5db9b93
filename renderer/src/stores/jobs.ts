/** Long-running jobs from the backend's registry; the bar shows those running longer than 0.5 s. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobInfo } from '../../../main/api/contract.js';
import { api } from '../api/client.js';

export const SHOW_AFTER_MS = 500;

export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<Record<string, JobInfo>>({});
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | null = null;

  function upsert(j: JobInfo): void {
    jobs.value = { ...jobs.value, [j.id]: j };
    if (j.state !== 'running') {
      // Keep finished jobs briefly so a failure message can be read, then drop them.
      setTimeout(() => {
        const { [j.id]: _gone, ...rest } = jobs.value;
        jobs.value = rest;
      }, j.state === 'failed' ? 8000 : 800);
    }
  }

  function init(): void {
    api().on('job', upsert);
    timer ??= setInterval(() => (now.value = Date.now()), 200);
  }

  /** Running jobs older than 0.5 s, and failures/cancellations (so their message can be read). */
  const visible = computed(() =>
    Object.values(jobs.value).filter((j) =>
      j.state === 'running' ? now.value - Date.parse(j.started) >= SHOW_AFTER_MS : j.state === 'failed' || j.state === 'cancelled',
    ),
  );

  const cancel = (id: string) => api().call('jobs.cancel', { id });

  return { jobs, visible, init, upsert, cancel };
});
