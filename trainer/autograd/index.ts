// The differentiable op set and the tape, in one import for model code.
export * from './elementwise.ts';
export * from './reduce.ts';
export * from './layout.ts';
export * from './nn.ts';
export { Tape, recordOn, noGrad, isRecording, record } from './tape.ts';
export { checkpoint, drawSeed } from './checkpoint.ts';
export { scope, keep } from './scope.ts';
export { gradientOf } from './backward.ts';
