/** The integral of `f` over [0, 1] by Simpson's rule with `steps` (even) intervals. */
export function simpson(f: (x: number) => number, steps = 4000): number {
  const h = 1 / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const w = i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2;
    sum += w * f(i * h);
  }
  return (sum * h) / 3;
}
