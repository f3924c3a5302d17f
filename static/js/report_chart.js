// Draws each report section's chart from the JSON the page embeds (see billing/reports/_body.html);
// again after htmx swaps the report body.
(function () {
  const charts = [];
  const colours = ["#0b5cad", "#b91c1c", "#0f766e", "#7c3aed", "#b45309", "#475569"];

  function draw() {
    while (charts.length) charts.pop().destroy();
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const data = document.getElementById(canvas.dataset.chart);
      if (!data) return;
      const chart = JSON.parse(data.textContent);
      charts.push(new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: chart.labels,
          datasets: chart.series.map((s, i) => ({
            label: s.label, data: s.values, backgroundColor: colours[i % colours.length],
          })),
        },
        options: { animation: false, responsive: true, interaction: { mode: "index", intersect: false },
                   scales: { y: { beginAtZero: true } } },
      }));
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
