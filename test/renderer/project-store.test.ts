/**
 * The renderer against a mock API provider (h5web style): stores and a component run without a
 * backend, and the client's transport choice is invisible to them.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { mount } from '@vue/test-utils';
import { setApiClient, type ApiClient } from '../../renderer/src/api/client.js';
import { useProjectStore } from '../../renderer/src/stores/project.js';
import { useJobsStore } from '../../renderer/src/stores/jobs.js';
import LamellaEditor from '../../renderer/src/components/LamellaEditor.vue';
import type { ProjectSnapshot } from '../../main/api/project-types.js';
import { ApiError } from '../../main/api/contract.js';

function snapshot(): ProjectSnapshot {
  return {
    path: '/w/P.interphase',
    dirty: false,
    lastSaved: null,
    recoverableChanges: 0,
    document: {
      schemaVersion: 1, id: 'p', name: 'P', created: '', modified: '', appVersion: '0',
      cells: [], samples: [], lamellae: [], datasets: [], analyses: [], figures: [],
    },
  };
}

function mockClient(impl: Record<string, (args: unknown) => unknown>) {
  const listeners: Record<string, ((p: unknown) => void)[]> = {};
  const calls: [string, unknown][] = [];
  const client: ApiClient = {
    call: (async (m: string, a: unknown) => {
      calls.push([m, a]);
      const f = impl[m];
      if (!f) throw new ApiError('bad-request', `unmocked ${m}`);
      return f(a);
    }) as ApiClient['call'],
    on: ((e: string, l: (p: unknown) => void) => {
      (listeners[e] ??= []).push(l);
      return () => {};
    }) as ApiClient['on'],
    pickFiles: async () => ['/tmp/a.dm4'],
  };
  return { client, calls, emit: (e: string, p: unknown) => listeners[e]?.forEach((l) => l(p)) };
}

beforeEach(() => setActivePinia(createPinia()));

describe('project store', () => {
  it('initialises from the backend and follows project events', async () => {
    const m = mockClient({
      'app.info': () => ({ name: 'Interphase', version: '1', transport: 'http', workspace: '/w', startupProject: null }),
      'project.current': () => null,
      'project.recent': () => [{ path: '/w/P.interphase', name: 'P', opened: '' }],
    });
    setApiClient(m.client);
    const s = useProjectStore();
    await s.init();
    expect(s.doc).toBeNull();
    expect(s.recent).toHaveLength(1);
    m.emit('project', snapshot());
    expect(s.doc?.name).toBe('P');
  });

  it('imports picked files for an owner and selects the new dataset', async () => {
    const m = mockClient({ 'dataset.import': () => [{ id: 'd1' }] });
    setApiClient(m.client);
    const s = useProjectStore();
    await s.importFiles({ kind: 'cell', id: 'c1' });
    expect(m.calls).toEqual([['dataset.import', { path: '/tmp/a.dm4', owner: { kind: 'cell', id: 'c1' } }]]);
    expect(s.selection).toEqual({ kind: 'dataset', id: 'd1' });
  });

  it('shows backend errors instead of throwing', async () => {
    const m = mockClient({ 'project.open': () => { throw new ApiError('not-found', 'no project at /x'); } });
    setApiClient(m.client);
    const s = useProjectStore();
    await s.open('/x');
    expect(s.error).toBe('no project at /x');
  });
});

describe('jobs store', () => {
  it('shows running jobs only after 0.5 s, and failures', () => {
    vi.useFakeTimers();
    const m = mockClient({});
    setApiClient(m.client);
    const j = useJobsStore();
    j.init();
    const started = new Date().toISOString();
    m.emit('job', { id: 'a', label: 'Import', state: 'running', progress: 0.1, started });
    expect(j.visible).toHaveLength(0);
    vi.advanceTimersByTime(700);
    expect(j.visible.map((x) => x.id)).toEqual(['a']);
    m.emit('job', { id: 'a', label: 'Import', state: 'failed', progress: 0.1, started, error: { code: 'format-error', message: 'bad' } });
    expect(j.visible[0]!.state).toBe('failed');
    vi.useRealTimers();
  });
});

describe('LamellaEditor', () => {
  it('renders notes sanitised and adds the seed papers’ FIB sequence', async () => {
    setApiClient(mockClient({}).client);
    const w = mount(LamellaEditor, {
      props: {
        lamella: {
          id: 'l1', rev: 1, sampleId: 's1', name: 'L1', notes: 'cut at **−185 °C** <script>x()</script>',
          fib: { instrument: '', ionSpecies: 'Ga+', steps: [], liftOutMethod: '', transfer: '', airExposure: '', operator: '' },
        },
      },
    });
    const notes = w.get('[data-testid="lamella-notes-view"]').html();
    expect(notes).toContain('<strong>−185 °C</strong>');
    expect(notes).not.toContain('<script>');
    const btn = w.findAll('button').find((b) => b.text().includes('3 nA'));
    await btn!.trigger('click');
    expect(w.text()).not.toContain('3 nA →');
    expect(w.findAll('input[type="number"]').map((i) => (i.element as HTMLInputElement).value)).toEqual(['3', '0.1', '10']);
  });
});
