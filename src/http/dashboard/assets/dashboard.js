/*
 * Draws the dashboard's charts with Chart.js from the JSON blocks the server put in the page
 * (`<script type="application/json" id="chart-N">`, next to `<canvas data-chart="chart-N">`).
 * No inline script is needed, so the Content-Security-Policy stays strict. Animation is off so a
 * printed PDF shows finished charts. When done, <body data-charts-ready="N"> tells the PDF printer
 * and the browser tests that the page is complete.
 */
/*
 * The workspace's experiment form: choosing the nudge under test fills the variant rows with the
 * nudge's variant keys and names and equal weights, in place. Without this script the form's
 * "Use this nudge's variants" button does the same on the server; with more variants than rows,
 * the script presses that button.
 */
(() => {
  const equalWeights = (n) => {
    const each = Math.floor(10000 / n);
    return Array.from({ length: n }, (_, i) => String((i === n - 1 ? 10000 - each * (n - 1) : each) / 10000));
  };
  document.querySelectorAll('select[data-variants-source]').forEach((select) => {
    select.addEventListener('change', () => {
      const form = select.form;
      const option = select.selectedOptions[0];
      const variants = option?.dataset.variants ? JSON.parse(option.dataset.variants) : [];
      if (!form || variants.length === 0) return;
      const rows = form.querySelectorAll('[data-variant-row]');
      if (rows.length < variants.length) {
        const fill = form.querySelector('[data-fill-variants]');
        if (fill) fill.click();
        return;
      }
      const weights = equalWeights(variants.length);
      rows.forEach((row, i) => {
        const v = variants[i];
        const key = row.querySelector('input[name$=".key"]');
        const weight = row.querySelector('input[name$=".weight"]');
        const name = row.querySelector('.variant-name');
        if (key) key.value = v ? v.key : '';
        if (weight) weight.value = v ? weights[i] : '';
        if (name) name.textContent = v ? v.name : '';
      });
      const control = form.querySelector('input[name="control"]');
      const keys = variants.map((v) => v.key);
      if (control && !keys.includes(control.value.trim())) {
        control.value = keys.includes('control') ? 'control' : keys[0];
      }
    });
  });
})();

(() => {
  const palette = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];
  const fade = (hex, alpha) => {
    const n = Number.parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  };
  const zeroGrid = (ctx) => (ctx.tick && ctx.tick.value === 0 ? '#374151' : '#e5e7eb');
  // Pages in another language name their locale and the words this script writes (`locale`,
  // `words`); English pages name neither and read as they always have.
  const english = { interval: '95% credible interval', mean: 'Posterior mean', range: '{low} to {high}' };
  const wordsOf = (spec) => spec.words || english;
  const numberFormats = new Map();
  const fixed1 = (locale, v) => {
    if (!locale) return v.toFixed(1);
    if (!numberFormats.has(locale)) {
      numberFormats.set(
        locale,
        new Intl.NumberFormat(locale, {
          minimumFractionDigits: 1,
          maximumFractionDigits: 1,
          useGrouping: false,
        }),
      );
    }
    return numberFormats.get(locale).format(Number(v.toFixed(1)));
  };
  const fmt = (spec) => (v) => (typeof v === 'number' ? `${fixed1(spec.locale, v)}${spec.unit}` : String(v));

  function base(spec) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        title: { display: true, text: spec.title, font: { size: 13 } },
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const v = ctx.raw;
              const shown = Array.isArray(v)
                ? wordsOf(spec).range.replace('{low}', fmt(spec)(v[0])).replace('{high}', fmt(spec)(v[1]))
                : fmt(spec)(v);
              return `${ctx.dataset.label}: ${shown}`;
            },
          },
        },
      },
    };
  }

  function interval(spec) {
    const options = base(spec);
    options.indexAxis = 'y';
    options.scales = {
      x: { grid: { color: zeroGrid }, ticks: { callback: fmt(spec) } },
      y: { grid: { display: false } },
    };
    return {
      type: 'bar',
      data: {
        labels: spec.labels,
        datasets: [
          {
            label: wordsOf(spec).interval,
            data: spec.lows.map((lo, i) => [lo, spec.highs[i]]),
            backgroundColor: fade(palette[0], 0.3),
            borderColor: palette[0],
            borderWidth: 1,
            barPercentage: 0.6,
            order: 2,
          },
          {
            type: 'line',
            label: wordsOf(spec).mean,
            data: spec.means,
            showLine: false,
            pointStyle: 'rectRot',
            pointRadius: 6,
            backgroundColor: palette[1],
            borderColor: palette[1],
            order: 1,
          },
        ],
      },
      options,
    };
  }

  function lines(spec, kind) {
    const options = base(spec);
    options.scales = {
      y: { grid: { color: zeroGrid }, ticks: { callback: fmt(spec) } },
    };
    if (spec.range) {
      options.scales.y.min = spec.range[0];
      options.scales.y.max = spec.range[1];
    }
    return {
      type: kind === 'bars' ? 'bar' : 'line',
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s, i) => ({
          label: s.label,
          data: s.data,
          borderColor: palette[i % palette.length],
          backgroundColor: fade(palette[i % palette.length], kind === 'bars' ? 0.7 : 0.2),
          spanGaps: true,
          tension: 0.2,
        })),
      },
      options,
    };
  }

  function band(spec) {
    const options = base(spec);
    options.scales = { y: { grid: { color: zeroGrid }, ticks: { callback: fmt(spec) } } };
    options.plugins.legend.labels.filter = (item) => !item.text.includes('95%');
    const datasets = [];
    spec.series.forEach((s, i) => {
      const colour = palette[i % palette.length];
      datasets.push(
        {
          label: `${s.label} 95% low`,
          data: s.lo,
          borderWidth: 0,
          pointRadius: 0,
          fill: false,
          spanGaps: true,
        },
        {
          label: `${s.label} 95% high`,
          data: s.hi,
          borderWidth: 0,
          pointRadius: 0,
          fill: '-1',
          backgroundColor: fade(colour, 0.15),
          spanGaps: true,
        },
        {
          label: s.label,
          data: s.mean,
          borderColor: colour,
          backgroundColor: colour,
          spanGaps: true,
          tension: 0.2,
        },
      );
    });
    return { type: 'line', data: { labels: spec.labels, datasets }, options };
  }

  function build(spec) {
    if (spec.type === 'interval') return interval(spec);
    if (spec.type === 'band') return band(spec);
    return lines(spec, spec.type);
  }

  let drawn = 0;
  const canvases = document.querySelectorAll('canvas[data-chart]');
  if (canvases.length > 0 && typeof window.Chart !== 'function') {
    throw new Error('Chart.js did not load');
  }
  canvases.forEach((canvas) => {
    const block = document.getElementById(canvas.dataset.chart);
    if (!block) return;
    new window.Chart(canvas, build(JSON.parse(block.textContent)));
    drawn += 1;
  });
  document.body.dataset.chartsReady = String(drawn);
})();
