// Draws every chart the server described with {% echart %}; redraws after htmx swaps.
(function () {
  function draw(root) {
    (root || document).querySelectorAll("[data-echart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var script = document.getElementById(el.id + "-option");
      if (!script || !window.echarts) return;
      var chart = echarts.init(el);
      chart.setOption(JSON.parse(script.textContent));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();
