/**
 * Digamma and trigamma, for the exact mean and variance of a Beta variable's log-odds:
 * for p ~ Beta(a, b), E[log(p / (1 - p))] = psi(a) - psi(b) and Var = psi'(a) + psi'(b).
 * Recurrence up to x >= 10, then the asymptotic series (error below 1e-15 there).
 */
export function digamma(x: number): number {
  let acc = 0;
  let z = x;
  while (z < 10) {
    acc -= 1 / z;
    z += 1;
  }
  const r = 1 / (z * z);
  return (
    acc +
    Math.log(z) -
    0.5 / z -
    r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r * (1 / 132 - (691 / 32760) * r)))))
  );
}

export function trigamma(x: number): number {
  let acc = 0;
  let z = x;
  while (z < 10) {
    acc += 1 / (z * z);
    z += 1;
  }
  const r = 1 / (z * z);
  return (
    acc +
    1 / z +
    r / 2 +
    (r / z) * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30 - r * (5 / 66 - (691 / 2730) * r)))))
  );
}
