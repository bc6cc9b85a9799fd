declare module 'jstat' {
  interface JStat {
    chisquare: { cdf(x: number, dof: number): number };
    normal: {
      cdf(x: number, mean: number, sd: number): number;
      inv(p: number, mean: number, sd: number): number;
    };
    gammaln(x: number): number;
    lowRegGamma(a: number, x: number): number;
  }
  const jStat: JStat;
  export default jStat;
}
