// Clicking a node opens and highlights its details panel (links already jump there).
(function () {
  function select(hash) {
    var id = (hash || "").replace(/^#d/, "");
    if (!id) { return; }
    document.querySelectorAll(".selected").forEach(function (el) { el.classList.remove("selected"); });
    document.querySelectorAll(".edge.hot").forEach(function (el) { el.classList.remove("hot"); });
    var panel = document.getElementById("d" + id);
    var node = document.getElementById("n" + id);
    if (panel) { panel.open = true; panel.classList.add("selected"); }
    if (node) { node.classList.add("selected"); }
    document.querySelectorAll('.edge[data-source="n' + id + '"], .edge[data-target="n' + id + '"]')
      .forEach(function (el) { el.classList.add("hot"); });
  }
  window.addEventListener("hashchange", function () { select(location.hash); });
  document.addEventListener("DOMContentLoaded", function () {
    document.body.classList.add("js");
    var fit = document.getElementById("fit");
    var graph = document.querySelector("svg.graph");
    if (fit && graph) {
      fit.hidden = false;  // only useful with script on: it toggles the drawing's scale
      fit.addEventListener("click", function () {
        var on = graph.classList.toggle("fit");
        fit.textContent = on ? "Actual size" : "Fit to window";
      });
    }
    select(location.hash);
  });
})();
