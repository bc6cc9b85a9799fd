declare module 'jstat' {
  interface JStat {
    chisquare: { cdf(x: number, dof: number): number };
    normal: {
      cdf(x: number, mean: number, sd: number): number;
      inv(p: number, mean: number, sd: number): number;
    };
    beta: {
      pdf(x: number, alpha: number, beta: number): number;
      inv(p: number, alpha: number, beta: number): number;
    };
    studentt: { inv(p: number, dof: number): number; cdf(x: number, dof: number): number };
    ibeta(x: number, a: number, b: number): number;
    gammaln(x: number): number;
  }
  const jStat: JStat;
  export default jStat;
}
