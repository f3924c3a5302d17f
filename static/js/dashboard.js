// Draws the Azure consumption chart from the JSON the page embeds; again after htmx swaps it.
(function () {
  let chart = null;
  const colours = ["#0b5cad", "#b91c1c", "#0f766e", "#7c3aed"];

  function draw() {
    const data = document.getElementById("azure-trend");
    const canvas = document.getElementById("azure-trend-chart");
    if (chart) { chart.destroy(); chart = null; }
    if (!data || !canvas || !window.Chart) return;
    const trend = JSON.parse(data.textContent);
    chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: trend.labels,
        datasets: trend.series.map((s, i) => ({
          label: `Cost (${s.currency})`, data: s.values, borderColor: colours[i % colours.length],
          backgroundColor: colours[i % colours.length], tension: 0.25, pointRadius: 0,
        })),
      },
      options: { animation: false, responsive: true, interaction: { mode: "index", intersect: false },
                 scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: true } } },
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
