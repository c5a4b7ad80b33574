/** Objective for minimisation: writes the gradient into `gradient` and returns the value. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  /** Correction pairs kept for the inverse-Hessian approximation. */
  readonly memory?: number;
  readonly maxIterations?: number;
  /** Stop when the gradient's max-norm falls below this. */
  readonly gradientTolerance?: number;
  /** Stop when the relative decrease of the objective falls below this. */
  readonly relativeTolerance?: number;
}

export const DEFAULT_LBFGS_OPTIONS = {
  memory: 10,
  maxIterations: 300,
  gradientTolerance: 1e-5,
  relativeTolerance: 1e-9,
} as const satisfies Required<LbfgsOptions>;

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  readonly evaluations: number;
}

/**
 * Limited-memory BFGS with a backtracking Armijo line search: enough for smooth convex
 * objectives such as L2-regularised logistic regression, with no dependency.
 */
export function minimizeLbfgs(
  objective: Objective,
  start: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const { memory, maxIterations, gradientTolerance, relativeTolerance } = {
    ...DEFAULT_LBFGS_OPTIONS,
    ...options,
  };
  const n = start.length;
  const x = Float64Array.from(start);
  const gradient = new Float64Array(n);
  let value = objective(x, gradient);
  let evaluations = 1;
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const alpha = new Float64Array(memory);
  const direction = new Float64Array(n);
  const candidate = new Float64Array(n);
  const candidateGradient = new Float64Array(n);
  let iterations = 0;
  while (iterations < maxIterations) {
    if (maxAbs(gradient) < gradientTolerance) break;
    // Two-loop recursion: direction = -H * gradient.
    direction.set(gradient);
    for (let k = sHistory.length - 1; k >= 0; k--) {
      const a = (rhoHistory[k] as number) * dot(sHistory[k] as Float64Array, direction);
      alpha[k] = a;
      axpy(-a, yHistory[k] as Float64Array, direction);
    }
    if (sHistory.length > 0) {
      const last = sHistory.length - 1;
      const y = yHistory[last] as Float64Array;
      scale(direction, dot(sHistory[last] as Float64Array, y) / dot(y, y));
    } else {
      scale(direction, 1 / Math.max(1, Math.sqrt(dot(gradient, gradient))));
    }
    for (let k = 0; k < sHistory.length; k++) {
      const b = (rhoHistory[k] as number) * dot(yHistory[k] as Float64Array, direction);
      axpy((alpha[k] as number) - b, sHistory[k] as Float64Array, direction);
    }
    scale(direction, -1);
    let slope = dot(gradient, direction);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHistory.length = 0;
      yHistory.length = 0;
      rhoHistory.length = 0;
      direction.set(gradient);
      scale(direction, -1 / Math.max(1, Math.sqrt(dot(gradient, gradient))));
      slope = dot(gradient, direction);
    }
    let step = 1;
    let candidateValue = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) candidate[i] = (x[i] as number) + step * (direction[i] as number);
      candidateValue = objective(candidate, candidateGradient);
      evaluations++;
      if (candidateValue <= value + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(candidateValue < value)) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = (candidate[i] as number) - (x[i] as number);
      y[i] = (candidateGradient[i] as number) - (gradient[i] as number);
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    const decrease = value - candidateValue;
    x.set(candidate);
    gradient.set(candidateGradient);
    value = candidateValue;
    iterations++;
    if (decrease <= relativeTolerance * Math.max(1, Math.abs(value))) break;
  }
  return { x, value, iterations, evaluations };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = (y[i] as number) + a * (x[i] as number);
}

function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * a;
}

function maxAbs(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] as number));
  return m;
}
