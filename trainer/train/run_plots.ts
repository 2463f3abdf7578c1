// The plots of a run, rewritten after each evaluation and at the end:
// loss terms, lDDT-Ca, learning rate, and the time split of a step.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsLog } from './metrics_log.ts';
import { lineChart } from './svg_plot.ts';

export const PLOT_FILES = ['loss_terms.svg', 'lddt_ca.svg', 'learning_rate.svg', 'step_time.svg'] as const;

export function writeRunPlots(dir: string, log: MetricsLog): void {
  const steps = log.steps();
  const evals = log.evals();
  const termNames = ['loss', 'fape', 'distogram', 'masked_msa', 'supervised_chi', 'plddt_loss', 'experimentally_resolved'];
  const terms = termNames.map((name) => ({
    name,
    points: steps.map((r) => [r.step, name === 'loss' ? r.loss : (r.terms[name] ?? NaN)] as [number, number]),
  }));
  writeFileSync(join(dir, 'loss_terms.svg'), lineChart(terms, { title: 'Training loss and its terms', xLabel: 'step', yLabel: 'loss', logY: true }));
  writeFileSync(join(dir, 'lddt_ca.svg'), lineChart([
    { name: 'lDDT-Ca (val)', points: evals.map((r) => [r.step, r.lddt_ca]) },
    { name: 'pLDDT/100 (val)', points: evals.map((r) => [r.step, r.plddt / 100]) },
  ], { title: 'Validation lDDT-Ca (averaged weights)', xLabel: 'step', yLabel: 'score' }));
  writeFileSync(join(dir, 'learning_rate.svg'), lineChart([{ name: 'lr', points: steps.map((r) => [r.step, r.lr]) }], { title: 'Learning rate', xLabel: 'step', yLabel: 'lr' }));
  const split = (['data_wait_ms', 'forward_ms', 'backward_ms', 'optimizer_ms', 'bookkeeping_ms', 'step_ms'] as const).map((k) => ({
    name: k.replace('_ms', ''),
    points: steps.map((r) => [r.step, r[k]] as [number, number]),
  }));
  writeFileSync(join(dir, 'step_time.svg'), lineChart(split, { title: 'Time of a step', xLabel: 'step', yLabel: 'ms' }));
}
